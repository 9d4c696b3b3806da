package emulator

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/entra"
)

// workloadEnv starts the emulator with the workload host and returns it and
// its environment.
func workloadEnv(t *testing.T, o Options) (*Server, map[string]string) {
	t.Helper()
	o.Hosts = append(o.Hosts, HostWorkload)
	s := startIdentityServer(t, o)
	env := map[string]string{}
	for _, v := range s.Env() {
		env[v.Name] = v.Value
	}
	return s, env
}

// exchange posts the pod's token file to Entra as the SDKs do.
func exchange(t *testing.T, s *Server, env map[string]string, scope string) idResponse {
	t.Helper()
	tok, err := os.ReadFile(env["AZURE_FEDERATED_TOKEN_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{
		"grant_type": {"client_credentials"}, "client_id": {env["AZURE_CLIENT_ID"]}, "scope": {scope},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {string(tok)},
	}
	u := strings.TrimSuffix(env["AZURE_AUTHORITY_HOST"], "/") + "/" + env["AZURE_TENANT_ID"] + "/oauth2/v2.0/token"
	return doRequest(t, s, http.MethodPost, u, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, form.Encode())
}

func TestWorkloadHostEndToEnd(t *testing.T) {
	s, env := workloadEnv(t, Options{})
	for _, k := range []string{"AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_AUTHORITY_HOST", "SSL_CERT_FILE"} {
		if env[k] == "" {
			t.Fatalf("the environment lacks %s: %v", k, env)
		}
	}
	if env["AZURE_CLIENT_ID"] != conClientID || env["AZURE_TENANT_ID"] != defaultTID || !strings.HasPrefix(env["AZURE_AUTHORITY_HOST"], "https://127.0.0.1:") {
		t.Fatalf("environment %v", env)
	}
	fi, err := os.Stat(env["AZURE_FEDERATED_TOKEN_FILE"])
	if err != nil || fi.Mode().Perm() != 0o600 || filepath.Base(env["AZURE_FEDERATED_TOKEN_FILE"]) != "azure-identity-token" {
		t.Fatalf("token file %v %v", fi, err)
	}
	raw, _ := os.ReadFile(env["AZURE_FEDERATED_TOKEN_FILE"])
	pc := claimsOf(t, string(raw))
	if pc["iss"] != s.WorkloadIssuer() || pc["sub"] != "system:serviceaccount:default:workload-sa" {
		t.Errorf("projected token claims %v", pc)
	}

	r := exchange(t, s, env, "https://management.azure.com//.default")
	if r.status != 200 {
		t.Fatalf("exchange: %d %s", r.status, r.body)
	}
	access, _ := r.json(t)["access_token"].(string)
	c := claimsOf(t, access)
	if c["oid"] != conObjectID || c["appid"] != conClientID || c["aud"] != "https://management.azure.com/" || c["tid"] != defaultTID {
		t.Errorf("access token claims %v", c)
	}
	// ARM accepts it, with the identity's role assignments.
	sub := doRequest(t, s, http.MethodGet, s.ARMEndpoint()+"/subscriptions?api-version=2022-12-01", map[string]string{"Authorization": "Bearer " + access}, "")
	if sub.status != 200 || !strings.Contains(string(sub.body), "00000000-0000-0000-0000-000000000001") {
		t.Errorf("ARM with the workload token: %d %s", sub.status, sub.body)
	}

	// The discovery documents the clients and Entra fetch.
	oidc := doRequest(t, s, http.MethodGet, env["AZURE_AUTHORITY_HOST"]+defaultTID+"/v2.0/.well-known/openid-configuration", nil, "")
	if oidc.status != 200 || oidc.json(t)["token_endpoint"] != env["AZURE_AUTHORITY_HOST"]+defaultTID+"/oauth2/v2.0/token" {
		t.Errorf("openid-configuration: %d %s", oidc.status, oidc.body)
	}
	iss := doRequest(t, s, http.MethodGet, s.WorkloadIssuer()+".well-known/openid-configuration", nil, "")
	if iss.status != 200 || iss.json(t)["jwks_uri"] != s.WorkloadIssuer()+"openid/v1/jwks" {
		t.Errorf("issuer discovery: %d %s", iss.status, iss.body)
	}
	var found bool
	for _, h := range s.Hosts() {
		found = found || h.Name == HostWorkload && h.TokenFile == env["AZURE_FEDERATED_TOKEN_FILE"] && strings.HasSuffix(h.Endpoint, "/"+defaultTID+"/oauth2/v2.0/token")
	}
	if !found {
		t.Errorf("Hosts() lacks the workload host: %+v", s.Hosts())
	}
}

func TestWorkloadHostFaults(t *testing.T) {
	s, env := workloadEnv(t, Options{})
	cases := []struct {
		f      WorkloadFaults
		status int
		code   string
	}{
		{WorkloadFaults{ExpiredFile: true}, 401, "[700024]"},
		{WorkloadFaults{WrongAudience: true}, 400, "[70021]"},
		{WorkloadFaults{NoCredential: true}, 400, "[70021]"},
		{WorkloadFaults{Status: 503, StatusCount: 1}, 503, "[90033]"},
		{WorkloadFaults{}, 200, "null"},
	}
	for _, c := range cases {
		if err := s.SetWorkloadFaults(c.f); err != nil {
			t.Fatal(err)
		}
		r := exchange(t, s, env, "https://management.azure.com/.default")
		codes, _ := json.Marshal(r.json(t)["error_codes"])
		if r.status != c.status || string(codes) != c.code {
			t.Errorf("%+v: %d %s", c.f, r.status, r.body)
		}
	}
	if err := s.SetWorkloadFaults(WorkloadFaults{Status: 404}); err == nil {
		t.Error("a 404 fault was accepted")
	}
	plain := startIdentityServer(t, Options{})
	if err := plain.SetWorkloadFaults(WorkloadFaults{}); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Errorf("without the host: %v", err)
	}
}

func TestWorkloadHostOptions(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Identities[2].FederatedCredentials = []FederatedCredential{{Name: "reader-fic", Subject: "system:serviceaccount:jobs:reader", Audiences: []string{"api://AzureADTokenExchange"}}}
	s, env := workloadEnv(t, Options{Config: cfg, Workload: WorkloadOptions{TokenDir: dir, Identity: "app-reader", TokenLifetime: 20 * time.Minute}})
	if env["AZURE_CLIENT_ID"] != rdrClientID || env["AZURE_FEDERATED_TOKEN_FILE"] != filepath.Join(dir, "azure-identity-token") {
		t.Fatalf("environment %v", env)
	}
	raw, _ := os.ReadFile(env["AZURE_FEDERATED_TOKEN_FILE"])
	pc := claimsOf(t, string(raw))
	if pc["sub"] != "system:serviceaccount:jobs:reader" || pc["exp"].(float64)-pc["iat"].(float64) != 1200 {
		t.Errorf("projected token %v", pc)
	}
	if r := exchange(t, s, env, "https://management.azure.com/.default"); r.status != 200 {
		t.Errorf("exchange: %d %s", r.status, r.body)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(env["AZURE_FEDERATED_TOKEN_FILE"]); err != nil {
		t.Errorf("a caller's token folder must be kept: %v", err)
	}

	for _, o := range []Options{
		{Hosts: []string{HostWorkload}, Workload: WorkloadOptions{Identity: "vm-system"}},
		{Hosts: []string{HostWorkload}, Workload: WorkloadOptions{Identity: "nobody"}},
		{Hosts: []string{HostWorkload}, Workload: WorkloadOptions{TokenLifetime: time.Minute}},
		{Hosts: []string{HostWorkload}, Workload: WorkloadOptions{Faults: WorkloadFaults{Status: 302}}},
		{Hosts: []string{HostWorkload}, Workload: WorkloadOptions{Addr: "192.0.2.1:0"}}, // not loopback
		{Hosts: []string{HostWorkload}, Workload: WorkloadOptions{Addr: "nonsense"}},
	} {
		if s, err := startAndClose(o); err == nil {
			t.Errorf("%+v accepted (%v)", o.Workload, s)
		}
	}
}

func TestWorkloadHostRemovesOwnedFolder(t *testing.T) {
	s, env := workloadEnv(t, Options{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(env["AZURE_FEDERATED_TOKEN_FILE"])); !os.IsNotExist(err) {
		t.Errorf("the owned token folder is still there: %v", err)
	}
}

// startAndClose starts and at once closes a server, for options that must
// be refused.
func startAndClose(o Options) (*Server, error) {
	s, err := Start(context.Background(), o)
	if err == nil {
		_ = s.Close()
	}
	return s, err
}

// TestWorkloadTokenFileRotatesOnTheServerClock: the projector follows
// Options.Clock, so moving the emulator's clock past 80 % of the token's
// hour rewrites the file (the bound only turns a hang into a failure).
func TestWorkloadTokenFileRotatesOnTheServerClock(t *testing.T) {
	clock := newFakeClock()
	_, env := workloadEnv(t, Options{Clock: clock})
	path := env["AZURE_FEDERATED_TOKEN_FILE"]
	first, _ := os.ReadFile(path)
	// (That nothing is rewritten before 48m is checked in package entra on
	// a fully fake clock.)
	clock.Advance(49 * time.Minute)
	deadline := time.Now().Add(10 * time.Second)
	for {
		now, _ := os.ReadFile(path)
		if string(now) != string(first) {
			if c := claimsOf(t, string(now)); c["iat"].(float64) != float64(clock.Now().Unix()) {
				t.Errorf("rotated token iat %v, want the server clock's %d", c["iat"], clock.Now().Unix())
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the file was not rotated after the server clock passed 48m")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWorkloadFederatedCredentialCreatedThroughARM: a federated identity
// credential PUT on the identity through ARM is honoured by the Entra
// endpoint at once, and deleting it withdraws it.
func TestWorkloadFederatedCredentialCreatedThroughARM(t *testing.T) {
	s, env := workloadEnv(t, Options{})
	sa := entra.ServiceAccount{Namespace: "jobs", Name: "batch"}
	assertion, _, err := s.workload.issuer.Mint(sa, entra.MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	exchangeAs := func() idResponse {
		form := url.Values{
			"grant_type": {"client_credentials"}, "client_id": {conClientID}, "scope": {"https://management.azure.com/.default"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion},
		}
		return doRequest(t, s, http.MethodPost, env["AZURE_AUTHORITY_HOST"]+defaultTID+"/oauth2/v2.0/token",
			map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, form.Encode())
	}
	if r := exchangeAs(); r.status != 400 || !strings.Contains(string(r.body), "AADSTS70021") {
		t.Fatalf("before the credential exists: %d %s", r.status, r.body)
	}
	tok := getToken(t, s, "api-version=2018-02-01&resource="+armRes+"&client_id="+conClientID)
	access, _ := tok.json(t)["access_token"].(string)
	auth := map[string]string{"Authorization": "Bearer " + access, "Content-Type": "application/json"}
	fic := s.ARMEndpoint() + conResID + "/federatedIdentityCredentials/jobs-batch?api-version=2023-01-31"
	body := `{"properties":{"issuer":"` + s.WorkloadIssuer() + `","subject":"system:serviceaccount:jobs:batch","audiences":["api://AzureADTokenExchange"]}}`
	if r := doRequest(t, s, http.MethodPut, fic, auth, body); r.status != 201 && r.status != 200 {
		t.Fatalf("PUT federated credential: %d %s", r.status, r.body)
	}
	if r := exchangeAs(); r.status != 200 {
		t.Fatalf("after the PUT: %d %s", r.status, r.body)
	}
	if r := doRequest(t, s, http.MethodDelete, fic, auth, ""); r.status >= 300 {
		t.Fatalf("DELETE federated credential: %d %s", r.status, r.body)
	}
	if r := exchangeAs(); r.status != 400 || !strings.Contains(string(r.body), "AADSTS70021") {
		t.Fatalf("after the DELETE: %d %s", r.status, r.body)
	}
}

// TestWorkloadHostCertificateNamesItsAddress: a workload listener on
// another loopback address (127.0.0.2:443 is how a namespace puts it at
// login.microsoftonline.com) is advertised at that address, and the
// certificate must name it, or a client of AZURE_AUTHORITY_HOST fails TLS.
func TestWorkloadHostCertificateNamesItsAddress(t *testing.T) {
	s, env := workloadEnv(t, Options{Workload: WorkloadOptions{Addr: "127.0.0.2:0"}})
	authority := env["AZURE_AUTHORITY_HOST"]
	if !strings.HasPrefix(authority, "https://127.0.0.2:") {
		t.Fatalf("AZURE_AUTHORITY_HOST = %q, want https://127.0.0.2:PORT/", authority)
	}
	resp, err := s.HTTPClient().Get(strings.TrimSuffix(authority, "/") + "/" + defaultTID + "/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatalf("the authority's discovery document over TLS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("discovery document: status %d", resp.StatusCode)
	}
}
