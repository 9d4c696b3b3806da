package identity

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseClaims(t *testing.T) {
	tok := uamiJWT(nil)
	c, err := ParseClaims(tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.AppID != testCID || c.ObjectID != testOID || c.MIResourceID != testMIID || c.TenantID != testTID || c.Audience != armRes {
		t.Fatalf("claims = %+v", c)
	}
	if !c.IssuedAt.Equal(time.Unix(1700000000, 0)) || !c.ExpiresAt.Equal(time.Unix(1700086700, 0)) || !c.NotBefore.Equal(c.IssuedAt) {
		t.Fatalf("times = %v %v %v", c.IssuedAt, c.NotBefore, c.ExpiresAt)
	}
	if c.Raw["iss"] != "https://sts.windows.net/"+testTID+"/" {
		t.Fatalf("Raw = %v", c.Raw)
	}
	// aud as array, times as strings, azp fallback
	c, err = ParseClaims(makeJWT(map[string]any{"aud": []any{"a", "b"}, "exp": "1700000000", "azp": "x"}))
	if err != nil || c.Audience != "a" || c.ExpiresAt.Unix() != 1700000000 || c.AppID != "x" {
		t.Fatalf("got %+v, %v", c, err)
	}
}

func TestParseClaimsErrors(t *testing.T) {
	const secret = "opaque-secret-token-value"
	for _, in := range []string{"", secret, "a.b", "a.!!!.c", "a." + "bm90IGpzb24" + ".c", "a.bnVsbA.c", "a..c"} {
		_, err := ParseClaims(in)
		if !errors.Is(err, ErrNotJWT) {
			t.Errorf("ParseClaims(%q) = %v, want ErrNotJWT", in, err)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("error quotes the token: %v", err)
		}
	}
}
