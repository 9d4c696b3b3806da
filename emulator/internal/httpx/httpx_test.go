package httpx

import (
	"strings"
	"testing"
)

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{
		"": "/", "/": "/", "//": "/", "/a//b/": "/a/b", "a": "/a", "/metadata//identity/oauth2/token/": "/metadata/identity/oauth2/token",
	} {
		if got := CleanPath(in); got != want {
			t.Errorf("CleanPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseQuery(t *testing.T) {
	q, bad := ParseQuery("resource=https%3A%2F%2Fx&api-version=2018-02-01")
	if bad != "" || q.Get("resource") != "https://x" {
		t.Fatalf("ParseQuery: %v %q", q, bad)
	}
	if _, bad := ParseQuery("a=1&a=2"); !strings.Contains(bad, `"a" is specified more than once`) {
		t.Errorf("repeated parameter: %q", bad)
	}
	if _, bad := ParseQuery("a=%zz"); !strings.Contains(bad, "malformed") {
		t.Errorf("bad escape: %q", bad)
	}
}

func TestIDsAndSecrets(t *testing.T) {
	g := NewGUID()
	if len(g) != 36 || g[14] != '4' || strings.Count(g, "-") != 4 || g == NewGUID() {
		t.Errorf("NewGUID = %s", g)
	}
	s := RandomSecret()
	if len(s) != 32 || s == RandomSecret() {
		t.Errorf("RandomSecret = %s", s)
	}
	if !SecretEqual(s, s) || SecretEqual("x", s) || SecretEqual("", "") {
		t.Error("SecretEqual: equal secrets must match, others and empty ones not")
	}
	if got := Clip(strings.Repeat("a", 300)); len(got) != 200+len("…") {
		t.Errorf("Clip kept %d bytes", len(got))
	}
	if Epoch(1700000000) != "1700000000" {
		t.Error("Epoch")
	}
}
