package emulator

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestTokenEndpointErrors(t *testing.T) {
	s := startIdentityServer(t, Options{ARMAddr: "-"})
	base := s.IMDSEndpoint() + "/metadata/identity/oauth2/token"
	ok := "?api-version=2018-02-01&resource=" + armRes
	tests := []struct {
		name       string
		method     string
		query      string
		headers    map[string]string
		wantStatus int
		wantError  string
		wantDesc   string // substring
	}{
		{"no metadata header", "GET", ok, nil, 400, "bad_request_102", "Required metadata header not specified"},
		{"bare probe without query", "GET", "", nil, 400, "bad_request_102", "Required metadata header not specified"},
		{"metadata false", "GET", ok, map[string]string{"Metadata": "false"}, 400, "bad_request_102", ""},
		{"x-forwarded-for", "GET", ok, map[string]string{"Metadata": "true", "X-Forwarded-For": "10.0.0.1"}, 400, "bad_request", "X-Forwarded-For"},
		{"post", "POST", ok, metaHeader, 405, "method_not_allowed", "GET"},
		{"missing api-version", "GET", "?resource=" + armRes, metaHeader, 400, "invalid_request", "api-version"},
		{"unknown api-version", "GET", "?api-version=2099-01-01&resource=" + armRes, metaHeader, 400, "invalid_request", "api-version"},
		{"api-version too old for tokens", "GET", "?api-version=2017-12-01&resource=" + armRes, metaHeader, 400, "invalid_request", "api-version"},
		{"missing resource", "GET", "?api-version=2018-02-01", metaHeader, 400, "invalid_request", "resource"},
		{"empty resource", "GET", "?api-version=2018-02-01&resource=", metaHeader, 400, "invalid_request", "resource"},
		{"duplicate parameter", "GET", ok + "&resource=" + armRes, metaHeader, 400, "invalid_request", "more than once"},
		{"two selectors", "GET", ok + "&client_id=" + conClientID + "&object_id=" + conObjectID, metaHeader, 400, "invalid_request", "Only one"},
		{"msi_res_id and mi_res_id", "GET", ok + "&msi_res_id=" + url.QueryEscape(conResID) + "&mi_res_id=" + url.QueryEscape(conResID), metaHeader, 400, "invalid_request", "Only one"},
		{"unknown client_id", "GET", ok + "&client_id=99999999-9999-9999-9999-999999999999", metaHeader, 400, "invalid_request", "Identity not found"},
		{"unknown object_id", "GET", ok + "&object_id=99999999-9999-9999-9999-999999999999", metaHeader, 400, "invalid_request", "Identity not found"},
		{"unknown msi_res_id", "GET", ok + "&msi_res_id=" + url.QueryEscape(strings.Replace(conResID, "app-contributor", "nope", 1)), metaHeader, 400, "invalid_request", "Identity not found"},
		{"system id is not a UAMI resource id", "GET", ok + "&msi_res_id=" + url.QueryEscape(DefaultConfig().Instance.ResourceID()), metaHeader, 400, "invalid_request", "Identity not found"},
		{"malformed query", "GET", "?api-version=2018-02-01&resource=%zz", metaHeader, 400, "invalid_request", "malformed"},
		{"empty client_id", "GET", ok + "&client_id=", metaHeader, 400, "invalid_request", `"client_id" is empty`},
		{"resource with a control character", "GET", "?api-version=2018-02-01&resource=https%3A%2F%2Fx%2F%07", metaHeader, 400, "invalid_resource", "control characters"},
		{"resource with a space", "GET", "?api-version=2018-02-01&resource=https%3A%2F%2Fx%2F%20y", metaHeader, 400, "invalid_resource", "white space"},
		{"resource too long", "GET", "?api-version=2018-02-01&resource=" + strings.Repeat("a", 1025), metaHeader, 400, "invalid_resource", "at most 1024"},
		{"empty msi_res_id", "GET", ok + "&msi_res_id=", metaHeader, 400, "invalid_request", "is empty"},
		{"miscased unknown selector", "GET", ok + "&Client_Id=99999999-9999-9999-9999-999999999999", metaHeader, 400, "invalid_request", "Identity not found"},
		{"one selector in two casings", "GET", ok + "&client_id=" + conClientID + "&CLIENT_ID=" + conClientID, metaHeader, 400, "invalid_request", "Only one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := doRequest(t, s, tt.method, base+tt.query, tt.headers, "")
			if r.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", r.status, tt.wantStatus, r.body)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
			m := r.json(t)
			if m["error"] != tt.wantError {
				t.Errorf("error = %v, want %q", m["error"], tt.wantError)
			}
			if d, _ := m["error_description"].(string); !strings.Contains(d, tt.wantDesc) {
				t.Errorf("error_description = %q, want it to contain %q", d, tt.wantDesc)
			}
		})
	}
	// The Azure CLI falls back from client_id to object_id only on the
	// standard reason phrase.
	r := getToken(t, s, ok[1:]+"&client_id=99999999-9999-9999-9999-999999999999")
	if r.statusLine != "400 Bad Request" {
		t.Errorf("status line = %q, want \"400 Bad Request\"", r.statusLine)
	}
	if got := s.Stats().TokenRequests; got != int64(len(tests))+1 {
		t.Errorf("TokenRequests = %d, want %d (errors count too)", got, len(tests)+1)
	}
	if got := s.Stats().TokensMinted; got != 0 {
		t.Errorf("TokensMinted = %d after only errors", got)
	}
}

// fetchJWKSKey reads the signing key published at path on the IMDS listener.
func fetchJWKSKey(t *testing.T, s *Server, path string) (string, *rsa.PublicKey) {
	t.Helper()
	r := doRequest(t, s, "GET", s.IMDSEndpoint()+path, nil, "")
	if r.status != 200 {
		t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	var set struct {
		Keys []struct{ Kty, Kid, N, E, Alg string } `json:"keys"`
	}
	if err := json.Unmarshal(r.body, &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("JWKS %s: %v %s", path, err, r.body)
	}
	k := set.Keys[0]
	if k.Kty != "RSA" || k.Alg != "RS256" {
		t.Fatalf("JWKS key kty=%s alg=%s", k.Kty, k.Alg)
	}
	n, err1 := base64.RawURLEncoding.DecodeString(k.N)
	e, err2 := base64.RawURLEncoding.DecodeString(k.E)
	if err1 != nil || err2 != nil {
		t.Fatalf("JWKS n/e not base64url: %v %v", err1, err2)
	}
	return k.Kid, &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
}

// verifyWithJWKS checks the signature against the published key and returns
// header and claims.
func verifyWithJWKS(t *testing.T, s *Server, raw string) (map[string]any, jwt.MapClaims) {
	t.Helper()
	kid, pub := fetchJWKSKey(t, s, "/_emulator/keys")
	claims := jwt.MapClaims{}
	tok, err := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation()).
		ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return pub, nil })
	if err != nil {
		t.Fatalf("token does not verify with the JWKS key: %v", err)
	}
	if tok.Header["kid"] != kid {
		t.Errorf("kid = %v, JWKS kid = %s", tok.Header["kid"], kid)
	}
	return tok.Header, claims
}

func TestTokenClaimsPerIdentityAndSelector(t *testing.T) {
	clock := newFakeClock()
	s := startIdentityServer(t, Options{ARMAddr: "-", Clock: clock})
	vmID := "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg-web/providers/Microsoft.Compute/virtualMachines/vm-emulated"
	tests := []struct {
		name     string
		query    string // after api-version & resource
		resource string // as it must be echoed
		rawRes   string // as sent
		client   string
		oid      string
		mirid    string
		echo     map[string]string
	}{
		{"system, no selector", "", "https://management.azure.com/", armRes, sysClientID, sysObjectID, vmID, nil},
		{"system by client_id", "&client_id=" + sysClientID, "https://management.azure.com/", armRes, sysClientID, sysObjectID, vmID, nil},
		{"user by client_id", "&client_id=" + conClientID, "https://management.azure.com/", armRes, conClientID, conObjectID, conResID, nil},
		{"user by upper-case client_id", "&client_id=" + strings.ToUpper(rdrClientID), "https://management.azure.com/", armRes, rdrClientID, rdrObjectID, rdrResID, nil},
		{"user by object_id", "&object_id=" + rdrObjectID, "https://management.azure.com/", armRes, rdrClientID, rdrObjectID, rdrResID, map[string]string{"object_id": rdrObjectID}},
		{"user by encoded msi_res_id", "&msi_res_id=" + url.QueryEscape(conResID), "https://management.azure.com/", armRes, conClientID, conObjectID, conResID, map[string]string{"msi_res_id": conResID}},
		{"user by miscased Client_Id", "&Client_Id=" + rdrClientID, "https://management.azure.com/", armRes, rdrClientID, rdrObjectID, rdrResID, nil},
		{"user by raw mi_res_id", "&mi_res_id=" + conResID, "https://management.azure.com/", armRes, conClientID, conObjectID, conResID, map[string]string{"msi_res_id": conResID}},
		{"resource id case-insensitive", "&msi_res_id=" + url.QueryEscape(strings.ToLower(rdrResID)), "https://management.azure.com/", armRes, rdrClientID, rdrObjectID, rdrResID, map[string]string{"msi_res_id": strings.ToLower(rdrResID)}},
		{"raw resource without slash", "", "https://management.azure.com", "https://management.azure.com", sysClientID, sysObjectID, vmID, nil},
		{"core.windows.net audience", "", "https://management.core.windows.net/", url.QueryEscape("https://management.core.windows.net/"), sysClientID, sysObjectID, vmID, nil},
		{"any resource", "", "https://vault.azure.net", url.QueryEscape("https://vault.azure.net"), sysClientID, sysObjectID, vmID, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := getToken(t, s, "resource="+tt.rawRes+"&api-version=2018-02-01"+tt.query)
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			var body map[string]any
			if err := json.Unmarshal(r.body, &body); err != nil {
				t.Fatal(err)
			}
			// Every field of the IMDS response is a string.
			for _, k := range []string{"access_token", "refresh_token", "expires_in", "expires_on", "ext_expires_in", "not_before", "resource", "token_type", "client_id"} {
				if _, ok := body[k].(string); !ok {
					t.Errorf("%s = %#v, want a string", k, body[k])
				}
			}
			for _, k := range []string{"expires_in", "expires_on", "ext_expires_in", "not_before"} {
				if _, err := strconv.ParseInt(body[k].(string), 10, 64); err != nil {
					t.Errorf("%s = %q is not digits", k, body[k])
				}
			}
			now := clock.Now().Unix()
			if body["expires_in"] != "86400" || body["expires_on"] != strconv.FormatInt(now+86400, 10) || body["not_before"] != strconv.FormatInt(now, 10) {
				t.Errorf("times: expires_in=%v expires_on=%v not_before=%v (now %d)", body["expires_in"], body["expires_on"], body["not_before"], now)
			}
			if body["refresh_token"] != "" || body["token_type"] != "Bearer" || body["resource"] != tt.resource || body["client_id"] != tt.client {
				t.Errorf("body = %v", body)
			}
			if _, ok := body["refresh_in"]; ok {
				t.Error("refresh_in sent although Options.RefreshIn is 0")
			}
			for _, k := range []string{"object_id", "msi_res_id"} {
				if got, _ := body[k].(string); got != tt.echo[k] {
					t.Errorf("%s echo = %q, want %q", k, got, tt.echo[k])
				}
			}
			hdr, c := verifyWithJWKS(t, s, body["access_token"].(string))
			if hdr["typ"] != "JWT" || hdr["alg"] != "RS256" || hdr["x5t"] != hdr["kid"] {
				t.Errorf("header = %v", hdr)
			}
			iss := "https://sts.windows.net/" + defaultTID + "/"
			want := map[string]any{
				"aud": tt.resource, "iss": iss, "idp": iss, "appid": tt.client, "appidacr": "2",
				"idtyp": "app", "oid": tt.oid, "sub": tt.oid, "tid": defaultTID, "ver": "1.0", "xms_mirid": tt.mirid,
				"iat": float64(now), "nbf": float64(now), "exp": float64(now + 86400),
			}
			for k, v := range want {
				if c[k] != v {
					t.Errorf("claim %s = %#v, want %#v", k, c[k], v)
				}
			}
			if u, _ := c["uti"].(string); len(u) < 16 {
				t.Errorf("uti = %q", u)
			}
		})
	}
}

func TestTokenCacheAndBypass(t *testing.T) {
	clock := newFakeClock()
	s := startIdentityServer(t, Options{ARMAddr: "-", Clock: clock, TokenLifetime: time.Hour})
	q := "api-version=2018-02-01&resource=" + armRes
	first := getToken(t, s, q).json(t)
	clock.Advance(10 * time.Minute)
	second := getToken(t, s, q).json(t)
	if first["access_token"] != second["access_token"] {
		t.Fatal("same identity and resource gave a different token within its lifetime")
	}
	if second["expires_in"] != "3000" || second["expires_on"] != first["expires_on"] {
		t.Errorf("cached: expires_in=%v expires_on=%v, want 3000 and %v", second["expires_in"], second["expires_on"], first["expires_on"])
	}
	if got := s.Stats().TokensMinted; got != 1 {
		t.Errorf("TokensMinted = %d, want 1", got)
	}
	// Another resource spelling or identity is another cache entry.
	other := getToken(t, s, "api-version=2018-02-01&resource=https://management.azure.com").json(t)
	if other["access_token"] == first["access_token"] {
		t.Error("different resource shared a token")
	}
	user := getToken(t, s, q+"&client_id="+conClientID).json(t)
	if user["access_token"] == first["access_token"] {
		t.Error("different identity shared a token")
	}
	bypass := getToken(t, s, q+"&bypass_cache=true").json(t)
	if bypass["access_token"] == first["access_token"] {
		t.Error("bypass_cache=true returned the cached token")
	}
	if bypass["expires_in"] != "3600" {
		t.Errorf("bypass expires_in = %v", bypass["expires_in"])
	}
	// Close to expiry (less than 5 minutes left) a new token is minted.
	clock.Advance(56 * time.Minute)
	late := getToken(t, s, q).json(t)
	if late["access_token"] == bypass["access_token"] {
		t.Error("token with under 5 minutes left was reused")
	}
	st := s.Stats()
	if st.TokensMinted != 5 || st.TokenRequests != 6 {
		t.Errorf("stats = %+v, want 5 minted of 6 requests", st)
	}
	var n int64
	for _, tc := range st.Tokens {
		if tc.Identity == "vm-system" && tc.Resource == "https://management.azure.com/" {
			n = tc.Count
		}
	}
	if n != 4 {
		t.Errorf("per-identity count for vm-system/ARM = %d, want 4; %+v", n, st.Tokens)
	}
}

func TestTokenRefreshIn(t *testing.T) {
	s := startIdentityServer(t, Options{ARMAddr: "-", RefreshIn: 90 * time.Minute})
	m := getToken(t, s, "api-version=2018-02-01&resource="+armRes).json(t)
	if m["refresh_in"] != float64(5400) {
		t.Errorf("refresh_in = %#v, want 5400", m["refresh_in"])
	}
}

func TestTokenMetadataHeaderCaseAndPathNormalisation(t *testing.T) {
	s := startIdentityServer(t, Options{ARMAddr: "-"})
	for _, p := range []string{"/metadata/identity/oauth2/token", "//metadata//identity/oauth2/token/", "/metadata/identity/oauth2//token"} {
		r := doRequest(t, s, "GET", s.IMDSEndpoint()+p+"?api-version=2019-08-01&resource="+armRes, map[string]string{"metadata": "True"}, "")
		if r.status != 200 {
			t.Errorf("%s: status %d %s", p, r.status, r.body)
		}
	}
}

func TestNoSelectorWithoutSystemIdentity(t *testing.T) {
	one := DefaultConfig()
	one.Identities = one.Identities[2:] // app-reader only
	one.RoleAssignments = one.RoleAssignments[3:]
	s := startIdentityServer(t, Options{ARMAddr: "-", Config: one})
	m := getToken(t, s, "api-version=2018-02-01&resource="+armRes).json(t)
	if m["client_id"] != rdrClientID {
		t.Errorf("sole user-assigned identity not used: %v", m)
	}

	two := DefaultConfig()
	two.Identities = two.Identities[1:]
	two.RoleAssignments = two.RoleAssignments[1:]
	s2 := startIdentityServer(t, Options{ARMAddr: "-", Config: two})
	r := getToken(t, s2, "api-version=2018-02-01&resource="+armRes)
	if r.status != 400 || r.json(t)["error"] != "invalid_request" {
		t.Errorf("two UAMIs, no selector: %d %s", r.status, r.body)
	}
}

func TestOpenIDConfigurationAndDiscoveryKeys(t *testing.T) {
	s := startIdentityServer(t, Options{ARMAddr: "-"})
	kid1, pub1 := fetchJWKSKey(t, s, "/_emulator/keys")
	kid2, pub2 := fetchJWKSKey(t, s, "/discovery/keys")
	if kid1 != kid2 || !pub1.Equal(pub2) {
		t.Error("/discovery/keys and /_emulator/keys differ")
	}
	for _, p := range []string{"/.well-known/openid-configuration", "/" + defaultTID + "/.well-known/openid-configuration"} {
		r := doRequest(t, s, "GET", s.IMDSEndpoint()+p, nil, "")
		if r.status != 200 {
			t.Fatalf("%s: %d", p, r.status)
		}
		m := r.json(t)
		if m["issuer"] != "https://sts.windows.net/"+defaultTID+"/" || m["jwks_uri"] != s.IMDSEndpoint()+"/discovery/keys" {
			t.Errorf("%s: %v", p, m)
		}
	}
	if r := doRequest(t, s, "GET", s.IMDSEndpoint()+"/00000000-0000-0000-0000-00000000dead/.well-known/openid-configuration", nil, ""); r.status != 404 {
		t.Errorf("foreign tenant: %d", r.status)
	}
}
