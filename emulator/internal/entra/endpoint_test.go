package entra

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const tokenPath = "/" + tenantID + "/oauth2/v2.0/token"

func TestTokenExchangeSucceeds(t *testing.T) {
	w := newWorld(t)
	a := w.post(tokenPath, form(w.assertion(workloadSA, MintOptions{})))
	if a.status != 200 {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	want := map[string]string{"token_type": "Bearer", "access_token": tokenCanary}
	for k, v := range want {
		if got := a.str(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	for k, v := range map[string]string{"expires_in": "86400", "ext_expires_in": "86400", "refresh_in": "43200"} {
		if got := string(a.json[k].(interface{ String() string }).String()); got != v {
			t.Errorf("%s = %s, want %s", k, got, v)
		}
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if got := w.mints(); len(got) != 1 || got[0] != "id1 https://management.azure.com" {
		t.Errorf("mint calls %q, want [id1 https://management.azure.com]", got)
	}
}

func TestTokenExchangeAcceptsTenantDomainAndCase(t *testing.T) {
	w := newWorld(t)
	as := w.assertion(workloadSA, MintOptions{})
	for _, tenant := range []string{"contoso.onmicrosoft.com", strings.ToUpper(tenantID)} {
		if a := w.post("/"+tenant+"/oauth2/v2.0/token", form(as)); a.status != 200 {
			t.Errorf("tenant %s: status %d: %s", tenant, a.status, a.body)
		}
	}
}

// A key the issuer does not hold, for forged assertions.
func forged(t *testing.T, kid string, claims jwt.MapClaims) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenExchangeErrors(t *testing.T) {
	w := newWorld(t)
	good := w.assertion(workloadSA, MintOptions{})
	with := func(k, v string) url.Values {
		f := form(good)
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	validClaims := jwt.MapClaims{"iss": issuerURL, "sub": "system:serviceaccount:default:workload-sa",
		"aud": []string{TokenExchangeAudience}, "exp": t0.Add(time.Hour).Unix(), "iat": t0.Unix()}
	cases := []struct {
		name       string
		path       string
		form       url.Values
		status     int
		errValue   string
		codes      string
		descWants  []string
		retryAfter string
	}{
		{"unknown tenant", "/bbbbbbbb-0000-4000-8000-00000000000f/oauth2/v2.0/token", form(good), 400, "invalid_request", "[90002]",
			[]string{"AADSTS90002: Tenant 'bbbbbbbb-0000-4000-8000-00000000000f' not found", "AZURE_TENANT_ID"}, ""},
		{"no grant type", tokenPath, with("grant_type", ""), 400, "invalid_request", "[900144]",
			[]string{"must contain the following parameter: 'grant_type'"}, ""},
		{"other grant", tokenPath, with("grant_type", "password"), 400, "unsupported_grant_type", "[70003]", []string{"'password'"}, ""},
		{"no client id", tokenPath, with("client_id", ""), 400, "invalid_request", "[900144]", []string{"'client_id'"}, ""},
		{"no scope", tokenPath, with("scope", ""), 400, "invalid_request", "[900144]", []string{"'scope'"}, ""},
		{"no assertion", tokenPath, with("client_assertion", ""), 401, "invalid_client", "[7000218]", []string{"'client_assertion' or 'client_secret'"}, ""},
		{"no assertion type", tokenPath, with("client_assertion_type", ""), 400, "invalid_request", "[900144]", []string{"'client_assertion_type'"}, ""},
		{"wrong assertion type", tokenPath, with("client_assertion_type", "urn:x"), 400, "invalid_request", "[90011]", []string{"Unexpected client assertion type 'urn:x'"}, ""},
		{"unknown app", tokenPath, with("client_id", "ffffffff-0000-4000-8000-000000000009"), 400, "unauthorized_client", "[700016]",
			[]string{"Application with identifier 'ffffffff-0000-4000-8000-000000000009' was not found in the directory '" + tenantID + "'"}, ""},
		{"scope without .default", tokenPath, with("scope", "https://management.azure.com/user_impersonation"), 400, "invalid_scope", "[70011]", []string{"'{resource}/.default'"}, ""},
		{"two resources", tokenPath, with("scope", "https://a/.default https://b/.default"), 400, "invalid_scope", "[70011]", []string{"got 2"}, ""},
		{"malformed assertion", tokenPath, with("client_assertion", "not-a-jwt"), 400, "invalid_request", "[50027]", []string{"JWT token is invalid or malformed", "1 dot-separated parts"}, ""},
		{"no matching credential (subject)", tokenPath,
			with("client_assertion", w.assertion(ServiceAccount{Namespace: "default", Name: "intruder"}, MintOptions{})), 400, "invalid_request", "[70021]",
			[]string{"No matching federated identity record found for presented assertion. Assertion Issuer: '" + issuerURL + "'. Assertion Subject: 'system:serviceaccount:default:intruder'. Assertion Audience: 'api://AzureADTokenExchange'."}, ""},
		{"no matching credential (audience)", tokenPath,
			with("client_assertion", w.assertion(workloadSA, MintOptions{Audience: "api://other"})), 400, "invalid_request", "[70021]",
			[]string{"Assertion Audience: 'api://other'."}, ""},
		{"app without credentials", tokenPath, with("client_id", otherApp), 400, "invalid_request", "[70021]", []string{"Assertion Subject: 'system:serviceaccount:default:workload-sa'"}, ""},
		{"forged signature", tokenPath, with("client_assertion", forged(t, w.issuer.KeyID(), validClaims)), 401, "invalid_client", "[700027]", []string{"failed signature validation"}, ""},
		{"unknown key id", tokenPath, with("client_assertion", forged(t, "nokey", validClaims)), 401, "invalid_client", "[700027]", []string{"no key 'nokey'"}, ""},
		{"expired assertion", tokenPath,
			with("client_assertion", w.assertion(workloadSA, MintOptions{IssuedAt: t0.Add(-66 * time.Minute)})), 401, "invalid_client", "[700024]",
			[]string{"Client assertion is not within its valid time range. Current time: 01/01/2026 12:00:00, assertion valid from 01/01/2026 10:54:00, expiry time of assertion 01/01/2026 11:54:00."}, ""},
		{"not yet valid", tokenPath,
			with("client_assertion", w.assertion(workloadSA, MintOptions{IssuedAt: t0.Add(6 * time.Minute)})), 401, "invalid_client", "[700024]", []string{"valid from 01/01/2026 12:06:00"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := w.post(c.path, c.form)
			if a.status != c.status || a.str("error") != c.errValue || a.codes() != c.codes {
				t.Fatalf("got %d %s %s, want %d %s %s: %s", a.status, a.str("error"), a.codes(), c.status, c.errValue, c.codes, a.body)
			}
			desc := a.str("error_description")
			for _, s := range c.descWants {
				if !strings.Contains(desc, s) {
					t.Errorf("description %q lacks %q", desc, s)
				}
			}
			for _, k := range []string{"trace_id", "correlation_id", "timestamp"} {
				if a.str(k) == "" {
					t.Errorf("no %s", k)
				}
			}
			if a.str("timestamp") != "2026-01-01 12:00:00Z" {
				t.Errorf("timestamp %q", a.str("timestamp"))
			}
			if !strings.HasSuffix(desc, "Timestamp: 2026-01-01 12:00:00Z") || !strings.Contains(desc, "Trace ID: "+a.str("trace_id")) {
				t.Errorf("description trailer: %q", desc)
			}
			if !strings.HasPrefix(a.str("error_uri"), w.srv.URL+"/error?code=") {
				t.Errorf("error_uri %q points off the emulator", a.str("error_uri"))
			}
			if strings.Contains(string(a.body), good) {
				t.Error("the answer echoes the assertion")
			}
		})
	}
	if got := w.mints(); len(got) != 0 {
		t.Errorf("refused requests minted %q", got)
	}
}

func TestTokenExchangeSkew(t *testing.T) {
	w := newWorld(t)
	// Expired 4 minutes ago: inside the 5-minute tolerance.
	a := w.post(tokenPath, form(w.assertion(workloadSA, MintOptions{IssuedAt: t0.Add(-64 * time.Minute)})))
	if a.status != 200 {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
}

func TestTokenEndpointRequestShape(t *testing.T) {
	w := newWorld(t)
	good := form(w.assertion(workloadSA, MintOptions{})).Encode()
	cases := []struct {
		name, method, ctype, body string
		codes                     string
	}{
		{"GET", http.MethodGet, "", "", "[900561]"},
		{"JSON body", http.MethodPost, "application/json", `{"grant_type":"client_credentials"}`, "[900144]"},
		{"bad encoding", http.MethodPost, "application/x-www-form-urlencoded", "grant_type=%zz", "[900144]"},
		{"too large", http.MethodPost, "application/x-www-form-urlencoded", good + "&pad=" + strings.Repeat("a", maxForm), "[900144]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := w.do(c.method, tokenPath, c.ctype, c.body)
			if a.status != 400 || a.codes() != c.codes {
				t.Fatalf("got %d %s, want 400 %s: %s", a.status, a.codes(), c.codes, a.body)
			}
		})
	}
}

func TestCorrelationIDEchoed(t *testing.T) {
	w := newWorld(t)
	req, _ := http.NewRequest(http.MethodPost, w.srv.URL+tokenPath, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("client-request-id", "3f1e0000-0000-4000-8000-000000000000")
	resp, err := w.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body errorBody
	if err := decodeJSON(resp.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.CorrelationID != "3f1e0000-0000-4000-8000-000000000000" || !strings.Contains(body.ErrorDescription, "Correlation ID: 3f1e0000-0000-4000-8000-000000000000") {
		t.Errorf("correlation id not echoed: %+v", body)
	}
}

func TestEndpointStatusFaults(t *testing.T) {
	w := newWorld(t)
	as := form(w.assertion(workloadSA, MintOptions{}))
	if err := w.ep.SetFaults(Faults{Status: 429, StatusCount: 2, RetryAfter: 3 * time.Second}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		a := w.post(tokenPath, as)
		if a.status != 429 || a.header.Get("Retry-After") != "3" || a.str("error") != "temporarily_unavailable" {
			t.Fatalf("request %d: %d Retry-After %q: %s", i, a.status, a.header.Get("Retry-After"), a.body)
		}
	}
	if a := w.post(tokenPath, as); a.status != 200 {
		t.Fatalf("after the count: %d %s", a.status, a.body)
	}
	if err := w.ep.SetFaults(Faults{Status: 503}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if a := w.post(tokenPath, as); a.status != 503 || a.header.Get("Retry-After") != "1" {
			t.Fatalf("unlimited 503: %d %q", a.status, a.header.Get("Retry-After"))
		}
	}
	if err := w.ep.SetFaults(Faults{NoCredential: true}); err != nil {
		t.Fatal(err)
	}
	if a := w.post(tokenPath, as); a.status != 400 || a.codes() != "[70021]" {
		t.Fatalf("no credential: %d %s", a.status, a.body)
	}
	if err := w.ep.SetFaults(Faults{}); err != nil {
		t.Fatal(err)
	}
	if a := w.post(tokenPath, as); a.status != 200 {
		t.Fatalf("cleared: %d %s", a.status, a.body)
	}
	for _, bad := range []Faults{{Status: 404}, {Status: 200}, {Status: 600}, {Status: 500, StatusCount: -1}, {RetryAfter: -time.Second}} {
		if err := w.ep.SetFaults(bad); err == nil {
			t.Errorf("SetFaults(%+v) accepted", bad)
		}
	}
}

func TestOpenIDConfiguration(t *testing.T) {
	w := newWorld(t)
	for _, tenant := range []string{tenantID, "contoso.onmicrosoft.com"} {
		a := w.do(http.MethodGet, "/"+tenant+"/v2.0/.well-known/openid-configuration", "", "")
		if a.status != 200 {
			t.Fatalf("%s: %d %s", tenant, a.status, a.body)
		}
		base := w.srv.URL + "/" + tenantID
		for k, v := range map[string]string{
			"issuer":                 base + "/v2.0",
			"token_endpoint":         base + "/oauth2/v2.0/token",
			"authorization_endpoint": base + "/oauth2/v2.0/authorize",
			"jwks_uri":               base + "/discovery/v2.0/keys",
		} {
			if got := a.str(k); got != v {
				t.Errorf("%s: %s = %q, want %q", tenant, k, got, v)
			}
		}
	}
	a := w.do(http.MethodGet, "/nosuch.example/v2.0/.well-known/openid-configuration", "", "")
	if a.status != 400 || a.str("error") != "invalid_tenant" || a.codes() != "[90002]" {
		t.Errorf("unknown tenant: %d %s", a.status, a.body)
	}
}

func TestInstanceDiscovery(t *testing.T) {
	w := newWorld(t)
	host := strings.TrimPrefix(w.srv.URL, "https://")
	q := url.Values{"api-version": {"1.1"}, "authorization_endpoint": {w.srv.URL + "/" + tenantID + "/oauth2/v2.0/authorize"}}
	a := w.do(http.MethodGet, "/common/discovery/instance?"+q.Encode(), "", "")
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	if got, want := a.str("tenant_discovery_endpoint"), w.srv.URL+"/"+tenantID+"/v2.0/.well-known/openid-configuration"; got != want {
		t.Errorf("tenant_discovery_endpoint %q, want %q", got, want)
	}
	md, _ := a.json["metadata"].([]any)
	if len(md) != 1 {
		t.Fatalf("metadata %v", a.json["metadata"])
	}
	m := md[0].(map[string]any)
	if m["preferred_network"] != host || m["preferred_cache"] != host || len(m["aliases"].([]any)) != 1 || m["aliases"].([]any)[0] != host {
		t.Errorf("metadata %v, want only %s", m, host)
	}
	q.Set("authorization_endpoint", "https://login.microsoftonline.com/"+tenantID+"/oauth2/v2.0/authorize")
	a = w.do(http.MethodGet, "/common/discovery/instance?"+q.Encode(), "", "")
	if a.status != 400 || a.str("error") != "invalid_instance" || a.codes() != "[50049]" {
		t.Errorf("foreign host: %d %s", a.status, a.body)
	}
}

func TestNewEndpointRefusesBadOptions(t *testing.T) {
	ok := EndpointOptions{TenantID: tenantID, Apps: func(string) (App, bool) { return App{}, false },
		Keys: (&Issuer{}).PublicKey, Mint: func(App, string) (AccessToken, error) { return AccessToken{}, nil }}
	bad := []func(*EndpointOptions){
		func(o *EndpointOptions) { o.TenantID = "contoso" },
		func(o *EndpointOptions) { o.Apps = nil },
		func(o *EndpointOptions) { o.Keys = nil },
		func(o *EndpointOptions) { o.Mint = nil },
		func(o *EndpointOptions) { o.BaseURL = "https://h/path" },
		func(o *EndpointOptions) { o.BaseURL = "ftp://h" },
	}
	if _, err := NewEndpoint(ok); err != nil {
		t.Fatal(err)
	}
	for i, f := range bad {
		o := ok
		f(&o)
		if _, err := NewEndpoint(o); err == nil {
			t.Errorf("case %d accepted", i)
		}
	}
}

func TestSecretsNeverLogged(t *testing.T) {
	w := newWorld(t)
	good := w.assertion(workloadSA, MintOptions{})
	w.post(tokenPath, form(good))
	bad := form(good)
	bad.Set("client_id", otherApp)
	w.post(tokenPath, bad)
	expired := w.assertion(workloadSA, MintOptions{IssuedAt: t0.Add(-3 * time.Hour)})
	w.post(tokenPath, form(expired))
	logs := w.logs.String()
	if !strings.Contains(logs, "entra: token issued") || !strings.Contains(logs, "aadsts=70021") {
		t.Fatalf("the logs lack the outcomes: %s", logs)
	}
	for _, secret := range []string{good, expired, tokenCanary, strings.Split(good, ".")[2]} {
		if strings.Contains(logs, secret) {
			t.Fatalf("a secret reached the logs: %s", logs)
		}
	}
}
