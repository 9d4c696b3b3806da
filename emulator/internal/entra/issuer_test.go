package entra

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/azmsi/azmsi/internal/testenv"
)

func TestIssuerMintsProjectedTokens(t *testing.T) {
	clock := testenv.NewFakeClock(t0)
	iss, err := NewIssuer("https://127.0.0.1:9999/aaaaaaaa-0000-4000-8000-000000000001/11111111-2222-4333-8444-555555555555", clock)
	if err != nil {
		t.Fatal(err)
	}
	if got := iss.URL(); got != "https://127.0.0.1:9999/aaaaaaaa-0000-4000-8000-000000000001/11111111-2222-4333-8444-555555555555/" {
		t.Fatalf("URL %q: the trailing slash AKS issuers carry is missing", got)
	}
	raw, exp, err := iss.Mint(workloadSA, MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(t0.Add(time.Hour)) {
		t.Errorf("exp %v, want one hour after %v", exp, t0)
	}
	// Verify with the key published in the JWKS, as Entra would.
	srv := httptest.NewServer(iss.Handler())
	defer srv.Close()
	var jwks struct {
		Keys []struct{ Kty, Kid, Alg, Use, N, E string }
	}
	getJSON(t, srv.URL+"/aaaaaaaa-0000-4000-8000-000000000001/11111111-2222-4333-8444-555555555555/openid/v1/jwks", &jwks)
	if len(jwks.Keys) != 1 || jwks.Keys[0].Kty != "RSA" || jwks.Keys[0].Alg != "RS256" || jwks.Keys[0].Use != "sig" {
		t.Fatalf("JWKS %+v", jwks)
	}
	k := jwks.Keys[0]
	n, _ := base64.RawURLEncoding.DecodeString(k.N)
	e, _ := base64.RawURLEncoding.DecodeString(k.E)
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(raw, claims, func(tk *jwt.Token) (any, error) {
		if tk.Header["kid"] != k.Kid {
			return nil, errors.New("kid not in the JWKS")
		}
		return pub, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(clock.Now))
	if err != nil || !tok.Valid {
		t.Fatalf("the token does not verify with the JWKS: %v", err)
	}
	want := map[string]any{
		"iss": iss.URL(),
		"sub": "system:serviceaccount:default:workload-sa",
		"iat": float64(t0.Unix()), "nbf": float64(t0.Unix()), "exp": float64(t0.Unix() + 3600),
	}
	for c, v := range want {
		if claims[c] != v {
			t.Errorf("%s = %v, want %v", c, claims[c], v)
		}
	}
	if aud, _ := claims["aud"].([]any); len(aud) != 1 || aud[0] != "api://AzureADTokenExchange" {
		t.Errorf("aud = %v", claims["aud"])
	}
	kio, _ := json.Marshal(claims["kubernetes.io"])
	if string(kio) != `{"namespace":"default","pod":{"name":"web-0","uid":"pod-uid-1"},"serviceaccount":{"name":"workload-sa","uid":"sa-uid-1"}}` {
		t.Errorf("kubernetes.io = %s", kio)
	}

	var disc map[string]any
	getJSON(t, srv.URL+"/aaaaaaaa-0000-4000-8000-000000000001/11111111-2222-4333-8444-555555555555/.well-known/openid-configuration", &disc)
	if iss.DiscoveryURL() != iss.URL()+".well-known/openid-configuration" || iss.JWKSURL() != iss.URL()+"openid/v1/jwks" {
		t.Errorf("document URLs %s %s", iss.DiscoveryURL(), iss.JWKSURL())
	}
	if disc["issuer"] != iss.URL() || disc["jwks_uri"] != iss.URL()+"openid/v1/jwks" {
		t.Errorf("discovery %v", disc)
	}
	resp, err := testClient.Get(srv.URL + "/other/openid/v1/jwks")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("a path outside the issuer: %d", resp.StatusCode)
	}
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := testClient.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestIssuerKeyLookup(t *testing.T) {
	iss, err := NewIssuer(issuerURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iss.PublicKey(issuerURL, iss.KeyID()); err != nil {
		t.Errorf("own key: %v", err)
	}
	if _, err := iss.PublicKey("https://other/", iss.KeyID()); !errors.Is(err, ErrUnknownIssuer) {
		t.Errorf("other issuer: %v", err)
	}
	if _, err := iss.PublicKey(issuerURL, "x"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("other kid: %v", err)
	}
}

func TestIssuerRefusesBadInput(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1/oidc", "ftp://h/", "https:///x", "https://h/?q=1", "https://h/#f", "https://u:p@h/"} {
		if _, err := NewIssuer(u, nil); err == nil {
			t.Errorf("NewIssuer(%q) accepted", u)
		}
	}
	iss, _ := NewIssuer(issuerURL, nil)
	for _, sa := range []ServiceAccount{{Name: "a"}, {Namespace: "a"}, {Namespace: "a:b", Name: "c"}, {Namespace: "a", Name: "b c"}} {
		if _, _, err := iss.Mint(sa, MintOptions{}); err == nil {
			t.Errorf("Mint(%+v) accepted", sa)
		}
	}
}

// testClient dials loopback only: a URL built wrongly fails the test
// instead of leaving the machine.
var testClient = &http.Client{Transport: testenv.LoopbackOnlyTransport()}
