package azhttp

import (
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNewRequestID(t *testing.T) {
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		id := NewRequestID()
		if !v4.MatchString(id) {
			t.Fatalf("%q is not a version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("%q repeated", id)
		}
		seen[id] = true
	}
}

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"", 5, ""},
		{"abc", 3, "abc"},
		{"abcdef", 3, "abc…"},
		{"abc", 0, "…"},
		{"abc", -2, "…"},
		{"", -1, ""},
		{"héllo", 2, "h…"},  // é is two bytes: never cut inside it
		{"héllo", 3, "hé…"}, // both bytes fit
		{"日本語", 4, "日…"},
	} {
		got := Clip(tc.s, tc.n)
		if got != tc.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("Clip(%q, %d) = %q is not valid UTF-8", tc.s, tc.n, got)
		}
	}
}

func TestVersionFrom(t *testing.T) {
	bi := func(v string) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Path: "github.com/azmsi/azmsi", Version: v}}
	}
	for _, tc := range []struct {
		name   string
		linked string
		bi     *debug.BuildInfo
		ok     bool
		want   string
	}{
		{"ldflags wins", "v1.2.3", bi("v9.9.9"), true, "v1.2.3"},
		{"go install", "", bi("v1.4.0"), true, "v1.4.0"},
		{"checkout pseudo-version", "", bi("v0.0.0-20261201113905-5950ca4abcde+dirty"), true, "v0.0.0-20261201113905-5950ca4abcde+dirty"},
		{"devel", "", bi("(devel)"), true, "dev"},
		{"empty", "", bi(""), true, "dev"},
		{"no build info", "", nil, false, "dev"},
	} {
		if got := versionFrom(tc.linked, tc.bi, tc.ok); got != tc.want {
			t.Errorf("%s: versionFrom = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestUserAgent(t *testing.T) {
	// A test binary records "(devel)" for its module and is not linked with
	// a release, so the version is "dev".
	if got := UserAgent(); got != "azmsi/dev" {
		t.Fatalf("UserAgent() = %q, want azmsi/dev", got)
	}
	if got := Version(); strings.Contains(got, " ") {
		t.Fatalf("Version() %q contains a space", got)
	}
}
