package emulator

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// mintForTest returns a token minted by s for the identity named name.
func mintForTest(t *testing.T, s *Server, name, resource string) string {
	t.Helper()
	cfg := s.config()
	tok, err := s.mint(cfg, cfg.IdentityByName(name), resource)
	if err != nil {
		t.Fatal(err)
	}
	return tok.raw
}

// signClaims signs claims with key, setting kid.
func signClaims(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	raw, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func validClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"aud": "https://management.azure.com/", "iss": "https://sts.windows.net/" + defaultTID + "/",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"oid": conObjectID, "tid": defaultTID, "appid": conClientID,
	}
}

func TestVerifyTokenAccepts(t *testing.T) {
	clock := newFakeClock()
	s := startIdentityServer(t, Options{IMDSAddr: "-", Clock: clock.Now})
	for _, aud := range armAudiences {
		raw := mintForTest(t, s, "app-reader", aud)
		v, terr := s.verifyToken(raw)
		if terr != nil {
			t.Fatalf("aud %s: %v", aud, terr)
		}
		if v.Identity.Name != "app-reader" || v.Audience != aud || v.Claims["appid"] != rdrClientID {
			t.Errorf("verified = %+v", v)
		}
	}
	// A token signed by hand with the server's key and minimal claims passes too.
	raw := signClaims(t, jwt.SigningMethodRS256, s.keys.key, s.keys.kid, validClaims(clock.Now()))
	if v, terr := s.verifyToken(raw); terr != nil || v.Identity.Name != "app-contributor" {
		t.Fatalf("hand-signed token: %v %v", v, terr)
	}
}

func TestVerifyTokenAttacks(t *testing.T) {
	clock := newFakeClock()
	s := startIdentityServer(t, Options{IMDSAddr: "-", Clock: clock.Now})
	now := clock.Now()
	foreign, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good := mintForTest(t, s, "vm-system", "https://management.azure.com/")
	parts := strings.Split(good, ".")

	with := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := validClaims(now)
		mod(c)
		return c
	}
	sign := func(c jwt.MapClaims) string {
		return signClaims(t, jwt.SigningMethodRS256, s.keys.key, s.keys.kid, c)
	}
	tampered := func() string {
		// Same header and signature, payload claiming another identity.
		payload := strings.Replace(string(mustB64(t, parts[1])), sysObjectID, conObjectID, 1)
		return parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + parts[2]
	}
	algNone := signClaims(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, s.keys.kid, validClaims(now))
	hs256 := signClaims(t, jwt.SigningMethodHS256, []byte("secret"), s.keys.kid, validClaims(now))

	tests := []struct {
		name     string
		raw      string
		wantCode string
		wantMsg  string
	}{
		{"empty", "", codeInvalidToken, ""},
		{"not a JWT", "abc", codeInvalidToken, ""},
		{"garbage segments", "a.b.c", codeInvalidToken, ""},
		{"alg none", algNone, codeInvalidToken, ""},
		{"alg none without signature part", strings.TrimSuffix(algNone, "."), codeInvalidToken, ""},
		{"HS256 with the kid", hs256, codeInvalidToken, ""},
		{"foreign key, our kid", signClaims(t, jwt.SigningMethodRS256, foreign, s.keys.kid, validClaims(now)), codeInvalidToken, "signature"},
		{"unknown kid", signClaims(t, jwt.SigningMethodRS256, s.keys.key, "not-our-kid", validClaims(now)), codeInvalidToken, "key"},
		{"no kid", signClaims(t, jwt.SigningMethodRS256, s.keys.key, "", validClaims(now)), codeInvalidToken, ""},
		{"tampered payload", tampered(), codeInvalidToken, "signature"},
		{"truncated signature", good[:len(good)-10], codeInvalidToken, ""},
		{"wrong audience", sign(with(func(c jwt.MapClaims) { c["aud"] = "https://vault.azure.net" })), codeInvalidAudience, "https://vault.azure.net"},
		{"audience array", sign(with(func(c jwt.MapClaims) { c["aud"] = []string{"https://management.azure.com/"} })), codeInvalidAudience, ""},
		{"wrong tenant", sign(with(func(c jwt.MapClaims) { c["iss"] = "https://sts.windows.net/00000000-0000-0000-0000-00000000beef/" })), codeInvalidTenant, "wrong issuer"},
		{"issuer without slash", sign(with(func(c jwt.MapClaims) { c["iss"] = "https://sts.windows.net/" + defaultTID })), codeInvalidTenant, ""},
		{"expired", sign(with(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Second).Unix() })), codeExpiredToken,
			"The access token expiry UTC time '11/26/2025 11:59:59' is earlier than current UTC time '11/26/2025 12:00:00'."},
		{"exp equals now", sign(with(func(c jwt.MapClaims) { c["exp"] = now.Unix() })), codeExpiredToken, ""},
		{"no exp", sign(with(func(c jwt.MapClaims) { delete(c, "exp") })), codeInvalidToken, "exp"},
		{"exp a string", sign(with(func(c jwt.MapClaims) { c["exp"] = "99999999999" })), codeInvalidToken, "exp"},
		{"nbf in the future", sign(with(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Minute).Unix() })), codeInvalidToken, "not yet valid"},
		{"nbf a string", sign(with(func(c jwt.MapClaims) { c["nbf"] = "0" })), codeInvalidToken, "nbf"},
		{"unknown oid", sign(with(func(c jwt.MapClaims) { c["oid"] = "99999999-9999-9999-9999-999999999999" })), codeInvalidToken, "oid"},
		{"no oid", sign(with(func(c jwt.MapClaims) { delete(c, "oid") })), codeInvalidToken, "oid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, terr := s.verifyToken(tt.raw)
			if terr == nil {
				t.Fatalf("accepted: %+v", v)
			}
			if v != nil {
				t.Error("verified token returned with an error")
			}
			if terr.Code != tt.wantCode {
				t.Errorf("code = %s, want %s (%s)", terr.Code, tt.wantCode, terr.Message)
			}
			if !strings.Contains(terr.Message, tt.wantMsg) {
				t.Errorf("message = %q, want it to contain %q", terr.Message, tt.wantMsg)
			}
			if tt.raw != "" && len(tt.raw) > 20 && strings.Contains(terr.Message, tt.raw[:20]) {
				t.Error("message contains the token")
			}
		})
	}

	// A token expires at exp on the server's clock.
	clock.Advance(25 * time.Hour)
	if _, terr := s.verifyToken(good); terr == nil || terr.Code != codeExpiredToken {
		t.Errorf("day-old token: %v", terr)
	}
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyTokenAfterConfigChange(t *testing.T) {
	s := startIdentityServer(t, Options{IMDSAddr: "-"})
	raw := mintForTest(t, s, "app-reader", "https://management.azure.com/")
	cfg := DefaultConfig()
	cfg.Identities = cfg.Identities[:2]
	cfg.RoleAssignments = cfg.RoleAssignments[:3]
	if err := s.loadConfig(cfg); err != nil {
		t.Fatal(err)
	}
	if _, terr := s.verifyToken(raw); terr == nil || terr.Code != codeInvalidToken {
		t.Errorf("token of a removed identity: %v", terr)
	}
}

func TestLowerRGKeyword(t *testing.T) {
	in := "/subscriptions/s/resourceGroups/My-RG/providers/Microsoft.Compute/virtualMachines/VM"
	want := "/subscriptions/s/resourcegroups/My-RG/providers/Microsoft.Compute/virtualMachines/VM"
	if got := lowerRGKeyword(in); got != want {
		t.Errorf("got %s", got)
	}
}
