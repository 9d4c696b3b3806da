package tokens

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

func TestSHA256Hex(t *testing.T) {
	if got := SHA256Hex("test_token"); got != "cc0af97287543b65da2c7e1476426021826cab166f1e063ed012b855ff819656" {
		t.Fatalf("SHA256Hex = %s", got)
	}
}

// TestIssueReplacesOnlyTheNamedToken: the cache answers a plain request and
// a request naming another token; only the cached token's hash mints anew,
// and cp1 puts xms_cc in that token.
func TestIssueReplacesOnlyTheNamedToken(t *testing.T) {
	ta := newTestAuthority(t, newFakeClock().Now)
	issue := func(o IssueOptions) Minted {
		t.Helper()
		id, tok, status, desc := ta.IssueWith("client_id", conClientID, "https://vault.azure.net", o)
		if id == nil {
			t.Fatalf("IssueWith: %d %s", status, desc)
		}
		return tok
	}
	first := issue(IssueOptions{})
	if again := issue(IssueOptions{}); again.Raw != first.Raw {
		t.Fatal("a plain request was not answered from the cache")
	}
	if other := issue(IssueOptions{ReplaceSHA256: SHA256Hex("some other token"), CP1: true}); other.Raw != first.Raw {
		t.Fatal("a hash of another token replaced the cached one")
	}
	second := issue(IssueOptions{ReplaceSHA256: strings.ToUpper(SHA256Hex(first.Raw)), CP1: true})
	if second.Raw == first.Raw {
		t.Fatal("the named token was not replaced")
	}
	if got := issue(IssueOptions{}); got.Raw != second.Raw {
		t.Fatal("the replacement is not what the cache serves next")
	}
	claims := func(raw string) map[string]any {
		b, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[1])
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if _, ok := claims(first.Raw)["xms_cc"]; ok {
		t.Fatal("xms_cc without cp1")
	}
	if cc, _ := json.Marshal(claims(second.Raw)["xms_cc"]); string(cc) != `["cp1"]` {
		t.Fatalf("xms_cc = %s", cc)
	}
}
