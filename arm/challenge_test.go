package arm

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/testenv"
)

const caeClaims = `{"access_token":{"nbf":{"essential":true,"value":"1726258122"}}}`

func TestClaimsChallenge(t *testing.T) {
	std := base64.StdEncoding.EncodeToString([]byte(caeClaims))
	raw := base64.RawURLEncoding.EncodeToString([]byte(caeClaims))
	tests := []struct {
		name   string
		values []string
		want   string
	}{
		{"ARM's CAE challenge", []string{`Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="` + std + `"`}, caeClaims},
		{"unpadded URL base64, no quotes", []string{`Bearer error=insufficient_claims, claims=` + raw}, caeClaims},
		{"case and spacing", []string{`bearer  CLAIMS = "` + std + `" , error="insufficient_claims"`}, caeClaims},
		{"second challenge", []string{`Basic realm="x"`, `Bearer claims="` + std + `"`}, caeClaims},
		{"a quoted comma before it", []string{`Bearer error_description="a, b", claims="` + std + `"`}, caeClaims},
		{"no claims", []string{`Bearer error="invalid_token"`}, ""},
		{"not bearer", []string{`Basic claims="` + std + `"`}, ""},
		{"not base64", []string{`Bearer claims="%%%"`}, ""},
		{"not a JSON object", []string{`Bearer claims="` + base64.StdEncoding.EncodeToString([]byte(`["x"]`)) + `"`}, ""},
		{"empty", []string{`Bearer claims=""`}, ""},
		{"unterminated quote", []string{`Bearer claims="` + std}, ""},
		{"none", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := claimsChallenge(tt.values)
			if got != tt.want || ok != (tt.want != "") {
				t.Fatalf("claimsChallenge = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

func FuzzClaimsChallenge(f *testing.F) {
	f.Add(`Bearer error="insufficient_claims", claims="` + base64.StdEncoding.EncodeToString([]byte(caeClaims)) + `"`)
	f.Add(`Bearer claims=e30`)
	f.Add(`Bearer a="b\", claims="x"`)
	f.Add(`Bearer ,,,=`)
	f.Fuzz(func(t *testing.T, v string) {
		got, ok := claimsChallenge([]string{v})
		if ok && (got == "" || got[0] != '{') {
			t.Fatalf("claimsChallenge(%q) = %q", v, got)
		}
	})
}

// claimsCred is a fakeCred that also replaces tokens for claims.
type claimsCred struct {
	fakeCred
	mu       sync.Mutex
	claims   []string
	rejected []string
}

func (c *claimsCred) ARMTokenForClaims(_ context.Context, resource, claims, rejected string) (AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.claims = append(c.claims, claims)
	c.rejected = append(c.rejected, rejected)
	return AccessToken{Token: canary + "new", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func caeHandler(challengeFor func(auth string) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if challengeFor(r.Header.Get("Authorization")) {
			w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="`+base64.StdEncoding.EncodeToString([]byte(caeClaims))+`"`)
			armError(w, 401, "InvalidAuthenticationToken", "The access token has been revoked.")
			return
		}
		writeJSON(w, 200, `{"subscriptionId":"s"}`)
	})
}

func TestClaimsChallengeReplacesToken(t *testing.T) {
	cred := &claimsCred{}
	e := newTLSEnv(t, caeHandler(func(auth string) bool { return auth == "Bearer "+canary+"0" }), func(o *Options) { o.Credential = cred })
	if _, err := e.c.GetSubscription(context.Background(), "s"); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(cred.claims) != "["+caeClaims+"]" || fmt.Sprint(cred.rejected) != "["+canary+"0]" || cred.forced != 0 {
		t.Fatalf("claims %v rejected %v forced %d", cred.claims, cred.rejected, cred.forced)
	}
	// A second challenge is final.
	cred2 := &claimsCred{}
	e2 := newTLSEnv(t, caeHandler(func(string) bool { return true }), func(o *Options) { o.Credential = cred2 })
	if _, err := e2.c.GetSubscription(context.Background(), "s"); err == nil || len(cred2.claims) != 1 {
		t.Fatalf("err %v after %d replacements", err, len(cred2.claims))
	}
}

// A credential without ARMTokenForClaims gets a forced refresh.
func TestClaimsChallengeWithPlainCredential(t *testing.T) {
	e := newTLSEnv(t, caeHandler(func(auth string) bool { return auth == "Bearer "+canary+"0" }), nil)
	if _, err := e.c.GetSubscription(context.Background(), "s"); err != nil {
		t.Fatal(err)
	}
	if e.cred.forced != 1 || e.cred.calls != 2 {
		t.Fatalf("calls %d forced %d", e.cred.calls, e.cred.forced)
	}
}

// TestClaimsChallengeThroughIdentity: ARM revokes the token; FromIdentity
// names it to an App Service endpoint that caches tokens, which replaces it.
func TestClaimsChallengeThroughIdentity(t *testing.T) {
	var mu sync.Mutex
	current, minted := "", 0
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		q := r.URL.Query()
		sum := sha256.Sum256([]byte(current))
		if current == "" || (q.Get("xms_cc") == "cp1" && q.Get("token_sha256_to_refresh") == hex.EncodeToString(sum[:])) {
			minted++
			current = fmt.Sprintf("host-token-%d", minted)
		}
		writeJSON(w, 200, fmt.Sprintf(`{"access_token":%q,"expires_on":"%d","resource":%q,"token_type":"Bearer"}`, current, time.Now().Add(time.Hour).Unix(), q.Get("resource")))
	}))
	defer host.Close()
	env := map[string]string{"IDENTITY_ENDPOINT": host.URL + "/msi/token", "IDENTITY_HEADER": "hdr"}
	ic, err := identity.New(identity.Options{Getenv: func(k string) string { return env[k] }, HTTPClient: testenv.LoopbackOnlyClient(nil)})
	if err != nil {
		t.Fatal(err)
	}
	defer ic.Close()
	var seen []string
	e := newTLSEnv(t, caeHandler(func(auth string) bool {
		seen = append(seen, auth)
		return auth == "Bearer host-token-1"
	}), func(o *Options) { o.Credential = FromIdentity(ic) })
	if _, err := e.c.GetSubscription(context.Background(), "s"); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seen) != "[Bearer host-token-1 Bearer host-token-2]" || minted != 2 {
		t.Fatalf("ARM saw %v; host minted %d", seen, minted)
	}
}
