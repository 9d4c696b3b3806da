package emulator

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/azmsi/azmsi/emulator/internal/tokens/tokentest"
)

// Forged and stale bearer tokens are refused over HTTP with ARM's 401
// envelope and challenge (internal/tokens tests the verification itself;
// this proves the whole request path).
func TestARMRefusesForgedTokensOverHTTP(t *testing.T) {
	e := startARM(t, Options{})
	now := e.clk.Now()
	foreign, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := tokentest.ValidClaims(now)
		if mod != nil {
			mod(c)
		}
		return c
	}
	sign := func(c jwt.MapClaims) string {
		return tokentest.SignClaims(t, jwt.SigningMethodRS256, e.s.tokens.Key().Private(), e.s.tokens.Key().KID(), c)
	}
	good := e.token("app-reader")
	parts := strings.Split(good, ".")
	payload := strings.Replace(string(tokentest.DecodeSegment(t, parts[1])), rdrObjectID, conObjectID, 1)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + parts[2]

	cases := []struct{ name, tok, code string }{
		{"alg none", tokentest.SignClaims(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, e.s.tokens.Key().KID(), claims(nil)), "InvalidAuthenticationToken"},
		{"foreign key", tokentest.SignClaims(t, jwt.SigningMethodRS256, foreign, e.s.tokens.Key().KID(), claims(nil)), "InvalidAuthenticationToken"},
		{"wrong audience", sign(claims(func(c jwt.MapClaims) { c["aud"] = "https://vault.azure.net" })), "InvalidAuthenticationTokenAudience"},
		{"expired", sign(claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() })), "ExpiredAuthenticationToken"},
		{"nbf in the future", sign(claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() })), "InvalidAuthenticationToken"},
		{"unknown kid", tokentest.SignClaims(t, jwt.SigningMethodRS256, e.s.tokens.Key().Private(), "not-our-kid", claims(nil)), "InvalidAuthenticationToken"},
		{"tampered payload (reader claims to be contributor)", tampered, "InvalidAuthenticationToken"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, req := range []struct{ method, path, body string }{
				{"GET", "/subscriptions?api-version=" + subV, ""},
				{"PUT", groupPath(sub1, "forged"), `{"location":"eastus"}`},
			} {
				r := e.do(req.method, req.path, c.tok, req.body)
				expect(t, r, 401, c.code)
				if !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
					t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
				}
			}
		})
	}
	// Nothing forged was created.
	expect(t, e.do("GET", groupPath(sub1, "forged"), e.token("app-contributor"), ""), 404, "ResourceGroupNotFound")
}

// Oversize and deeply nested bodies get a clean 4xx, and memory stays
// bounded: the server reads at most 1 MiB of a body.
func TestARMHostileBodies(t *testing.T) {
	e := startARM(t, Options{})
	tok := e.token("app-contributor")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cases := []struct {
		name, body string
		status     int
	}{
		{"8 MiB body", `{"location":"eastus","tags":{"a":"` + strings.Repeat("x", 8<<20) + `"}}`, 400},
		{"nested 100000 deep", strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000), 400},
		{"nested arrays in tags", `{"location":"eastus","tags":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`, 400},
		{"not JSON", "\x00\xff<xml/>", 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do("PUT", groupPath(sub1, "hostile"), tok, c.body)
			if r.status != c.status || !strings.Contains(string(r.body), `"error"`) {
				t.Fatalf("status %d, body %.200s", r.status, r.body)
			}
		})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	// The bodies total ~9 MiB; buffering is capped at 1 MiB per request.
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 16<<20 {
		t.Errorf("heap grew by %d MiB after hostile bodies", grew>>20)
	}
	expect(t, e.do("GET", groupPath(sub1, "hostile"), tok, ""), 404, "ResourceGroupNotFound")
	if r := e.do("GET", "/_emulator/healthz", "", ""); r.status != 200 {
		t.Fatalf("emulator unhealthy after hostile bodies: %d", r.status)
	}
}
