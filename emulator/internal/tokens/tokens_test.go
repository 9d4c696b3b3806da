package tokens

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/azmsi/azmsi/emulator/internal/tokens/tokentest"
)

// mintForTest returns a token minted by s for the identity named name.
func mintForTest(t *testing.T, s *testAuthority, name, resource string) string {
	t.Helper()
	cfg := s.config()
	tok, err := s.Mint(cfg, cfg.IdentityByName(name), resource)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Raw
}

func TestVerifyTokenAccepts(t *testing.T) {
	clock := newFakeClock()
	s := newTestAuthority(t, clock.Now)
	for _, aud := range ARMAudiences {
		raw := mintForTest(t, s, "app-reader", aud)
		v, terr := s.Verify(raw)
		if terr != nil {
			t.Fatalf("aud %s: %v", aud, terr)
		}
		if v.Identity.Name != "app-reader" || v.Audience != aud || v.Claims["appid"] != rdrClientID {
			t.Errorf("verified = %+v", v)
		}
	}
	// A token signed by hand with the server's key and minimal claims passes too.
	raw := tokentest.SignClaims(t, jwt.SigningMethodRS256, s.keys.key, s.keys.kid, tokentest.ValidClaims(clock.Now()))
	if v, terr := s.Verify(raw); terr != nil || v.Identity.Name != "app-contributor" {
		t.Fatalf("hand-signed token: %v %v", v, terr)
	}
}

func TestVerifyTokenAttacks(t *testing.T) {
	clock := newFakeClock()
	s := newTestAuthority(t, clock.Now)
	now := clock.Now()
	foreign, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good := mintForTest(t, s, "vm-system", "https://management.azure.com/")
	parts := strings.Split(good, ".")

	with := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := tokentest.ValidClaims(now)
		mod(c)
		return c
	}
	sign := func(c jwt.MapClaims) string {
		return tokentest.SignClaims(t, jwt.SigningMethodRS256, s.keys.key, s.keys.kid, c)
	}
	tampered := func() string {
		// Same header and signature, payload claiming another identity.
		payload := strings.Replace(string(tokentest.DecodeSegment(t, parts[1])), sysObjectID, conObjectID, 1)
		return parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + parts[2]
	}
	algNone := tokentest.SignClaims(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, s.keys.kid, tokentest.ValidClaims(now))
	hs256 := tokentest.SignClaims(t, jwt.SigningMethodHS256, []byte("secret"), s.keys.kid, tokentest.ValidClaims(now))

	tests := []struct {
		name     string
		raw      string
		wantCode string
		wantMsg  string
	}{
		{"empty", "", CodeInvalidToken, ""},
		{"not a JWT", "abc", CodeInvalidToken, ""},
		{"garbage segments", "a.b.c", CodeInvalidToken, ""},
		{"alg none", algNone, CodeInvalidToken, ""},
		{"alg none without signature part", strings.TrimSuffix(algNone, "."), CodeInvalidToken, ""},
		{"HS256 with the kid", hs256, CodeInvalidToken, ""},
		{"foreign key, our kid", tokentest.SignClaims(t, jwt.SigningMethodRS256, foreign, s.keys.kid, tokentest.ValidClaims(now)), CodeInvalidToken, "signature"},
		{"unknown kid", tokentest.SignClaims(t, jwt.SigningMethodRS256, s.keys.key, "not-our-kid", tokentest.ValidClaims(now)), CodeInvalidToken, "key"},
		{"no kid", tokentest.SignClaims(t, jwt.SigningMethodRS256, s.keys.key, "", tokentest.ValidClaims(now)), CodeInvalidToken, ""},
		{"tampered payload", tampered(), CodeInvalidToken, "signature"},
		{"truncated signature", good[:len(good)-10], CodeInvalidToken, ""},
		{"wrong audience", sign(with(func(c jwt.MapClaims) { c["aud"] = "https://vault.azure.net" })), CodeInvalidAudience, "https://vault.azure.net"},
		{"audience array", sign(with(func(c jwt.MapClaims) { c["aud"] = []string{"https://management.azure.com/"} })), CodeInvalidAudience, ""},
		{"wrong tenant", sign(with(func(c jwt.MapClaims) { c["iss"] = "https://sts.windows.net/00000000-0000-0000-0000-00000000beef/" })), CodeInvalidTenant, "wrong issuer"},
		{"issuer without slash", sign(with(func(c jwt.MapClaims) { c["iss"] = "https://sts.windows.net/" + defaultTID })), CodeInvalidTenant, ""},
		{"expired", sign(with(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Second).Unix() })), CodeExpiredToken,
			"The access token expiry UTC time '11/26/2025 11:59:59' is earlier than current UTC time '11/26/2025 12:00:00'."},
		{"exp equals now", sign(with(func(c jwt.MapClaims) { c["exp"] = now.Unix() })), CodeExpiredToken, ""},
		{"no exp", sign(with(func(c jwt.MapClaims) { delete(c, "exp") })), CodeInvalidToken, "exp"},
		{"exp a string", sign(with(func(c jwt.MapClaims) { c["exp"] = "99999999999" })), CodeInvalidToken, "exp"},
		{"nbf in the future", sign(with(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Minute).Unix() })), CodeInvalidToken, "not yet valid"},
		{"nbf a string", sign(with(func(c jwt.MapClaims) { c["nbf"] = "0" })), CodeInvalidToken, "nbf"},
		{"unknown oid", sign(with(func(c jwt.MapClaims) { c["oid"] = "99999999-9999-9999-9999-999999999999" })), CodeInvalidToken, "oid"},
		{"no oid", sign(with(func(c jwt.MapClaims) { delete(c, "oid") })), CodeInvalidToken, "oid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, terr := s.Verify(tt.raw)
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
	if _, terr := s.Verify(good); terr == nil || terr.Code != CodeExpiredToken {
		t.Errorf("day-old token: %v", terr)
	}
}

func TestVerifyTokenAfterConfigChange(t *testing.T) {
	s := newTestAuthority(t, nil)
	raw := mintForTest(t, s, "app-reader", "https://management.azure.com/")
	cfg := defaultConfig(t)
	cfg.Identities = cfg.Identities[:2]
	cfg.RoleAssignments = cfg.RoleAssignments[:3]
	if err := s.loadConfig(cfg); err != nil {
		t.Fatal(err)
	}
	if _, terr := s.Verify(raw); terr == nil || terr.Code != CodeInvalidToken {
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
