package identity

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/testenv"
)

const (
	wiTenant = "aaaaaaaa-0000-4000-8000-000000000001"
	wiClient = "cccccccc-0000-4000-8000-000000000003"
	wiIssuer = "https://eastus.oic.prod-aks.azure.com/aaaaaaaa-0000-4000-8000-000000000001/11111111-2222-4333-8444-555555555555/"
)

// fakeEntra is an httptest TLS server standing in for Entra ID's token
// endpoint; respond picks the answer for the 1-based request n.
type fakeEntra struct {
	*httptest.Server
	count   atomic.Int64
	mu      sync.Mutex
	forms   []url.Values
	paths   []string
	ctypes  []string
	respond func(w http.ResponseWriter, r *http.Request, n int)
}

func newFakeEntra(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, n int)) *fakeEntra {
	t.Helper()
	f := &fakeEntra{respond: respond}
	f.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(f.count.Add(1))
		_ = r.ParseForm()
		f.mu.Lock()
		f.forms = append(f.forms, r.PostForm)
		f.paths = append(f.paths, r.Method+" "+r.URL.Path)
		f.ctypes = append(f.ctypes, r.Header.Get("Content-Type"))
		f.mu.Unlock()
		f.respond(w, r, n)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeEntra) form(i int) url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.forms[i]
}

// client trusts the server's certificate and dials loopback only.
func (f *fakeEntra) client() *http.Client {
	return testenv.LoopbackOnlyClient(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.Certificate().Raw}))
}

// entraOK is Entra's success body.
func entraOK(tok string, expiresIn, refreshIn int) string {
	if refreshIn > 0 {
		return fmt.Sprintf(`{"token_type":"Bearer","expires_in":%d,"ext_expires_in":%d,"refresh_in":%d,"access_token":%q}`, expiresIn, expiresIn, refreshIn, tok)
	}
	return fmt.Sprintf(`{"token_type":"Bearer","expires_in":%d,"ext_expires_in":%d,"access_token":%q}`, expiresIn, expiresIn, tok)
}

// entraError is Entra's error body for AADSTS code.
func entraError(errValue string, code int, text string) string {
	return fmt.Sprintf(`{"error":%q,"error_description":"AADSTS%d: %s Trace ID: 0b0c0000-0000-4000-8000-000000000000 Correlation ID: 3f1e0000-0000-4000-8000-000000000000 Timestamp: 2026-01-02 03:04:05Z","error_codes":[%d],"timestamp":"2026-01-02 03:04:05Z","trace_id":"0b0c0000-0000-4000-8000-000000000000","correlation_id":"3f1e0000-0000-4000-8000-000000000000"}`,
		errValue, code, text, code)
}

// projected is a projected service-account token for sub expiring at exp.
func projected(sub string, exp time.Time) string {
	return makeJWT(map[string]any{"iss": wiIssuer, "sub": sub, "aud": []string{"api://AzureADTokenExchange"},
		"iat": exp.Add(-time.Hour).Unix(), "nbf": exp.Add(-time.Hour).Unix(), "exp": exp.Unix()})
}

// wiPod is a pod's workload-identity environment with its token file.
type wiPod struct {
	t    *testing.T
	file string
	env  map[string]string
}

func newWIPod(t *testing.T, authority string) *wiPod {
	t.Helper()
	p := &wiPod{t: t, file: filepath.Join(t.TempDir(), "azure-identity-token")}
	p.env = map[string]string{
		"AZURE_FEDERATED_TOKEN_FILE": p.file,
		"AZURE_CLIENT_ID":            wiClient,
		"AZURE_TENANT_ID":            wiTenant,
		"AZURE_AUTHORITY_HOST":       authority,
	}
	p.write(projected("system:serviceaccount:default:workload-sa", epoch0.Add(time.Hour)))
	return p
}

func (p *wiPod) write(token string) {
	p.t.Helper()
	if err := os.WriteFile(p.file, []byte(token), 0o600); err != nil {
		p.t.Fatal(err)
	}
}

func (p *wiPod) cred(f *fakeEntra, clock Clock, o Options) *Credential {
	p.t.Helper()
	o.Getenv = mapEnv(p.env)
	o.Clock = clock
	if o.HTTPClient == nil {
		o.HTTPClient = f.client()
	}
	c, err := New(o)
	if err != nil {
		p.t.Fatalf("New: %v", err)
	}
	p.t.Cleanup(func() { c.Close() })
	return c
}

func TestWorkloadDetectionPrecedence(t *testing.T) {
	// Every combination of each workload variable, App Service's pair,
	// Arc's pair, the Arc agent and the pod-identity IMDS variable.
	const ep = "http://127.0.0.1:1/token"
	for mask := 0; mask < 1<<8; mask++ {
		on := func(bit int) bool { return mask&(1<<bit) != 0 }
		env := map[string]string{}
		if on(0) {
			env["AZURE_FEDERATED_TOKEN_FILE"] = "/var/run/secrets/azure/tokens/azure-identity-token"
		}
		if on(1) {
			env["AZURE_CLIENT_ID"] = wiClient
		}
		if on(2) {
			env["AZURE_TENANT_ID"] = wiTenant
		}
		if on(3) { // App Service
			env["IDENTITY_ENDPOINT"], env["IDENTITY_HEADER"] = ep, "hdr"
		}
		if on(4) { // Arc by variables
			env["IDENTITY_ENDPOINT"], env["IMDS_ENDPOINT"] = ep, "http://127.0.0.1:2"
		}
		himds := on(5)
		if on(6) {
			env["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = "http://127.0.0.1:3"
		}
		if on(7) { // an AZURE_AUTHORITY_HOST alone selects nothing
			env["AZURE_AUTHORITY_HOST"] = "https://127.0.0.1:4"
		}
		want := "imds"
		switch {
		case on(3):
			want = "appservice"
		case on(4) || himds:
			want = "arc"
		case on(0) && on(1) && on(2):
			want = "workload"
		}
		d := detect(mapEnv(env), func(string) bool { return himds })
		if d.Host != want {
			t.Errorf("env %v himds=%v: host %s, want %s (%s)", env, himds, d.Host, want, d.Reason)
		}
		if want == "workload" && strings.Join(d.Evidence, ",") != "AZURE_FEDERATED_TOKEN_FILE,AZURE_CLIENT_ID,AZURE_TENANT_ID" {
			t.Errorf("evidence %v", d.Evidence)
		}
	}
	// A blank value does not count.
	if d := detect(mapEnv(map[string]string{"AZURE_FEDERATED_TOKEN_FILE": " ", "AZURE_CLIENT_ID": wiClient, "AZURE_TENANT_ID": wiTenant}), func(string) bool { return false }); d.Host != "imds" {
		t.Errorf("blank token file: %s", d.Host)
	}
	if got := strings.Join(Hosts(), ","); got != "servicefabric,containerapps,appservice,appservice2017,azureml,cloudshell,arc,workload,imds" {
		t.Errorf("Hosts() = %s", got)
	}
}

func TestWorkloadRequestShape(t *testing.T) {
	f := newFakeEntra(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, entraOK("tok-1", 86399, 43200))
	})
	p := newWIPod(t, f.URL+"/")
	clock := newFakeClock(true)
	c := p.cred(f, clock, Options{})
	if got := c.Source(); got.Host != "workload" || got.Name != "Workload identity" || got.Endpoint != f.URL+"/"+wiTenant+"/oauth2/v2.0/token" {
		t.Fatalf("source %+v", got)
	}
	tok, err := c.Token(context.Background(), "https://management.azure.com/.default")
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "tok-1" || !tok.ExpiresOn.Equal(epoch0.Add(86399*time.Second)) || !tok.RefreshOn.Equal(epoch0.Add(43200*time.Second)) {
		t.Errorf("token %v refresh %v", tok, tok.RefreshOn)
	}
	if f.paths[0] != "POST /"+wiTenant+"/oauth2/v2.0/token" || f.ctypes[0] != "application/x-www-form-urlencoded" {
		t.Errorf("request %s %s", f.paths[0], f.ctypes[0])
	}
	want := url.Values{
		"grant_type":            {"client_credentials"},
		"client_id":             {wiClient},
		"scope":                 {"https://management.azure.com/.default"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {projected("system:serviceaccount:default:workload-sa", epoch0.Add(time.Hour))},
	}
	if got := f.form(0); got.Encode() != want.Encode() {
		t.Errorf("form\n got %v\nwant %v", got, want)
	}
	// A resource with a trailing slash keeps it: Entra issues aud = resource.
	if _, err := c.Token(context.Background(), "https://management.core.windows.net/"); err != nil {
		t.Fatal(err)
	}
	if got := f.form(1).Get("scope"); got != "https://management.core.windows.net//.default" {
		t.Errorf("scope %q", got)
	}
}

func TestWorkloadSettings(t *testing.T) {
	base := map[string]string{"AZURE_FEDERATED_TOKEN_FILE": "/t", "AZURE_CLIENT_ID": wiClient, "AZURE_TENANT_ID": wiTenant}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range base {
			m[a] = b
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	ok := []struct {
		name     string
		env      map[string]string
		o        Options
		endpoint string
	}{
		{"public cloud by default", base, Options{}, "https://login.microsoftonline.com/" + wiTenant + "/oauth2/v2.0/token"},
		{"authority with trailing slash", with("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us/"), Options{}, "https://login.microsoftonline.us/" + wiTenant + "/oauth2/v2.0/token"},
		{"loopback http", with("AZURE_AUTHORITY_HOST", "http://127.0.0.1:8443"), Options{}, "http://127.0.0.1:8443/" + wiTenant + "/oauth2/v2.0/token"},
		{"forced with Options.Endpoint", with("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us/"), Options{Host: "workload", Endpoint: "https://127.0.0.1:9/"}, "https://127.0.0.1:9/" + wiTenant + "/oauth2/v2.0/token"},
		{"tenant by domain", with("AZURE_TENANT_ID", "contoso.onmicrosoft.com"), Options{}, "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"},
		{"client ID from Options.ID", with("AZURE_CLIENT_ID", ""), Options{Host: "workload", ID: ClientID(testCID)}, "https://login.microsoftonline.com/" + wiTenant + "/oauth2/v2.0/token"},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.Getenv = mapEnv(tt.env)
			c, err := New(tt.o)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.Source().Host != "workload" || c.Source().Endpoint != tt.endpoint {
				t.Errorf("source %+v, want endpoint %s", c.Source(), tt.endpoint)
			}
		})
	}
	bad := []struct {
		name string
		env  map[string]string
		o    Options
		want string
	}{
		{"object ID", base, Options{ID: ObjectID(testOID)}, "cannot select an identity by object ID"},
		{"resource ID", base, Options{ID: ResourceID(testMIID)}, "cannot select an identity by resource ID"},
		{"http authority off loopback", with("AZURE_AUTHORITY_HOST", "http://login.example"), Options{}, "must use https"},
		{"authority with query", with("AZURE_AUTHORITY_HOST", "https://h/?x=1"), Options{}, "AZURE_AUTHORITY_HOST"},
		{"tenant with slash", with("AZURE_TENANT_ID", "a/../b"), Options{}, "neither a tenant GUID nor a domain name"},
		{"client ID not a GUID", with("AZURE_CLIENT_ID", "app-name"), Options{}, "AZURE_CLIENT_ID"},
		{"forced without token file", with("AZURE_FEDERATED_TOKEN_FILE", ""), Options{Host: "workload"}, "needs AZURE_FEDERATED_TOKEN_FILE"},
		{"forced without tenant", with("AZURE_TENANT_ID", ""), Options{Host: "workload"}, "needs AZURE_TENANT_ID"},
		{"forced without client", with("AZURE_CLIENT_ID", ""), Options{Host: "workload"}, "needs AZURE_CLIENT_ID"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.Getenv = mapEnv(tt.env)
			c, err := New(tt.o)
			if err == nil {
				c.Close()
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
		})
	}
}

func TestWorkloadClientIDOverride(t *testing.T) {
	f := newFakeEntra(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, entraOK(uamiJWT(nil), 3600, 0))
	})
	p := newWIPod(t, f.URL)
	c := p.cred(f, newFakeClock(true), Options{ID: ClientID(testCID)})
	if _, err := c.Token(context.Background(), armRes); err != nil {
		t.Fatal(err)
	}
	if got := f.form(0).Get("client_id"); got != testCID {
		t.Errorf("client_id %q, want the override %s", got, testCID)
	}
}

func TestWorkloadRotation(t *testing.T) {
	f := newFakeEntra(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, entraOK(fmt.Sprintf("tok-%d", n), 3600, 0))
	})
	p := newWIPod(t, f.URL)
	c := p.cred(f, newFakeClock(true), Options{})
	first := projected("system:serviceaccount:default:workload-sa", epoch0.Add(time.Hour))
	second := projected("system:serviceaccount:default:workload-sa", epoch0.Add(2*time.Hour))
	if _, err := c.Token(context.Background(), armRes); err != nil {
		t.Fatal(err)
	}
	p.write(second) // the kubelet rotates the file
	tok, err := c.TokenWithOptions(context.Background(), armRes, TokenOptions{ForceRefresh: true})
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "tok-2" {
		t.Errorf("token %q", tok.AccessToken)
	}
	if f.form(0).Get("client_assertion") != first || f.form(1).Get("client_assertion") != second {
		t.Error("the second exchange did not send the rotated file")
	}
}

func TestWorkloadExpiringAssertion(t *testing.T) {
	f := newFakeEntra(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, entraOK("tok", 3600, 0))
	})
	p := newWIPod(t, f.URL)
	p.write(projected("system:serviceaccount:default:workload-sa", epoch0.Add(time.Minute)))
	clock := newFakeClock(false)
	c := p.cred(f, clock, Options{})
	if _, err := c.Token(context.Background(), armRes); err != nil {
		t.Fatalf("a minute before exp: %v", err)
	}
	clock.Advance(2 * time.Minute) // the kubelet did not rotate it
	_, err := c.TokenWithOptions(context.Background(), armRes, TokenOptions{ForceRefresh: true})
	if err == nil {
		t.Fatal("an expired assertion was sent")
	}
	for _, s := range []string{p.file, "AZURE_FEDERATED_TOKEN_FILE", "expired at 2026-01-02T03:05:05Z", "now 2026-01-02T03:06:05Z", "kubelet should have rotated it"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
	if n := f.count.Load(); n != 1 {
		t.Errorf("%d requests, want 1 (the expired token must not be sent)", n)
	}
}

func TestWorkloadFileErrors(t *testing.T) {
	f := newFakeEntra(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, entraOK("tok", 3600, 0))
	})
	cases := []struct {
		name  string
		setup func(p *wiPod)
		want  []string
	}{
		{"missing", func(p *wiPod) { os.Remove(p.file) }, []string{"does not exist", "azure.workload.identity/use"}},
		{"empty", func(p *wiPod) { p.write(" \n") }, []string{"is empty", "kubelet"}},
		{"a folder", func(p *wiPod) { os.Remove(p.file); os.Mkdir(p.file, 0o700) }, []string{"cannot be read"}},
		{"too large", func(p *wiPod) { p.write(strings.Repeat("a", 70000)) }, []string{"larger than 65536 bytes"}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			p := newWIPod(t, f.URL)
			tt.setup(p)
			c := p.cred(f, newFakeClock(true), Options{})
			_, err := c.Token(context.Background(), armRes)
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range append(tt.want, p.file, "AZURE_FEDERATED_TOKEN_FILE") {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
	if n := f.count.Load(); n != 0 {
		t.Errorf("%d requests sent with a bad file", n)
	}
	// Permission denied cannot be produced as root; the mapping is checked
	// on the error itself.
	s := &workloadSource{tokenFile: "/var/run/t"}
	err := s.fileError(&fs.PathError{Op: "open", Path: "/var/run/t", Err: fs.ErrPermission})
	if !strings.Contains(err.Error(), "permission denied") || !strings.Contains(err.Error(), "fsGroup") {
		t.Errorf("permission error %q", err)
	}
}

func TestWorkloadEntraErrors(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   []string
	}{
		{"no federated credential", 400,
			entraError("invalid_request", 70021, "No matching federated identity record found for presented assertion. Assertion Issuer: '"+wiIssuer+"'. Assertion Subject: 'system:serviceaccount:default:workload-sa'. Assertion Audience: 'api://AzureADTokenExchange'."),
			[]string{"no federated identity credential", "client ID " + wiClient, "tenant " + wiTenant,
				`issuer "` + wiIssuer + `"`, `subject "system:serviceaccount:default:workload-sa"`, `audience "api://AzureADTokenExchange"`, "AADSTS70021"}},
		{"expired assertion", 401,
			entraError("invalid_client", 700024, "Client assertion is not within its valid time range."),
			[]string{"outside its validity time", "expiry 2026-01-02T04:04:05Z", "kubelet should have rotated", "AADSTS700024"}},
		{"identity not in tenant", 400,
			entraError("unauthorized_client", 700016, "Application with identifier 'x' was not found in the directory 'y'."),
			[]string{"does not know the identity with client ID " + wiClient + " (from AZURE_CLIENT_ID)", "not the object ID", "AADSTS700016"}},
		{"wrong tenant", 400,
			entraError("invalid_request", 90002, "Tenant 'x' not found."),
			[]string{`does not know tenant "` + wiTenant + `"`, "AZURE_TENANT_ID", "AZURE_AUTHORITY_HOST", "AADSTS90002"}},
		{"bad signature", 401,
			entraError("invalid_client", 700027, "Client assertion failed signature validation."),
			[]string{"could not validate the projected token", "AADSTS700027"}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEntra(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, tt.status, tt.body) })
			p := newWIPod(t, f.URL)
			c := p.cred(f, newFakeClock(true), Options{})
			_, err := c.Token(context.Background(), armRes)
			var ae *AuthError
			if !errors.As(err, &ae) || ae.StatusCode != tt.status {
				t.Fatalf("error %v", err)
			}
			for _, s := range tt.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			if n := f.count.Load(); n != 1 {
				t.Errorf("%d requests: a 4xx must be final", n)
			}
		})
	}
}

func TestWorkloadRetries(t *testing.T) {
	f := newFakeEntra(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 1:
			w.Header().Set("Retry-After", "7")
			writeJSON(w, 429, entraError("temporarily_unavailable", 50196, "Throttled."))
		case 2:
			writeJSON(w, 503, entraError("temporarily_unavailable", 90033, "Unavailable."))
		default:
			writeJSON(w, 200, entraOK("tok", 3600, 0))
		}
	})
	p := newWIPod(t, f.URL)
	clock := newFakeClock(true)
	c := p.cred(f, clock, Options{})
	if _, err := c.Token(context.Background(), armRes); err != nil {
		t.Fatal(err)
	}
	if n := f.count.Load(); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
	if w := clock.Waits(); len(w) < 1 || w[0] != 7*time.Second {
		t.Errorf("waits %v, want Retry-After 7s first", w)
	}

	always := newFakeEntra(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 500, entraError("server_error", 90033, "Down."))
	})
	p2 := newWIPod(t, always.URL)
	_, err := p2.cred(always, newFakeClock(true), Options{}).Token(context.Background(), armRes)
	if err == nil || !strings.Contains(err.Error(), "on all 5 attempts") {
		t.Errorf("after retries: %v", err)
	}
}

func TestWorkloadColdCallersShareOneExchange(t *testing.T) {
	gate := make(chan struct{})
	arrived := make(chan struct{}, 1)
	f := newFakeEntra(t, func(w http.ResponseWriter, r *http.Request, n int) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-gate
		writeJSON(w, 200, entraOK("tok-shared", 86399, 0))
	})
	p := newWIPod(t, f.URL)
	c := p.cred(f, newFakeClock(true), Options{})
	const callers = 1000
	var wg sync.WaitGroup
	var ok atomic.Int64
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tok, err := c.Token(context.Background(), armRes); err == nil && tok.AccessToken == "tok-shared" {
				ok.Add(1)
			}
		}()
	}
	<-arrived
	close(gate)
	wg.Wait()
	if n := f.count.Load(); n != 1 {
		t.Fatalf("%d exchanges for %d cold callers, want 1", n, callers)
	}
	if ok.Load() != callers {
		t.Fatalf("%d callers got the token", ok.Load())
	}
}

// TestWorkloadSecretsNeverLeak: the assertion and the access token never
// appear in an error, a debug log line, a panic value or a formatted
// credential or token, even when Entra echoes the assertion back.
func TestWorkloadSecretsNeverLeak(t *testing.T) {
	const tokCanary = "ACCESS-CANARY-91b2"
	assertion := makeJWT(map[string]any{"iss": wiIssuer, "sub": "system:serviceaccount:default:ASSERTION-CANARY",
		"aud": "api://AzureADTokenExchange", "exp": epoch0.Add(time.Hour).Unix()})
	f := newFakeEntra(t, func(w http.ResponseWriter, r *http.Request, n int) {
		a := r.PostForm.Get("client_assertion")
		switch n % 4 {
		case 1:
			writeJSON(w, 400, entraError("invalid_request", 70021, "bad assertion "+a))
		case 2:
			writeJSON(w, 401, `{"error":"invalid_client","error_description":"`+a+`"}`)
		case 3:
			w.WriteHeader(200)
			fmt.Fprint(w, "<html>"+a+"</html>")
		default:
			writeJSON(w, 200, entraOK(tokCanary, 3600, 0))
		}
	})
	p := newWIPod(t, f.URL)
	p.write(assertion)
	logs := &testenv.SyncBuffer{}
	c := p.cred(f, newFakeClock(true), Options{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	var outputs []string
	for range 4 {
		tok, err := c.TokenWithOptions(context.Background(), armRes, TokenOptions{ForceRefresh: true})
		outputs = append(outputs, fmt.Sprintf("%v %+v %#v %s", tok, tok, tok, tok.String()))
		if err != nil {
			outputs = append(outputs, err.Error(), fmt.Sprintf("%+v", err))
			func() {
				defer func() { outputs = append(outputs, fmt.Sprint(recover())) }()
				panic(err)
			}()
		}
	}
	// The file faults, whose messages name the file.
	p.write(projected("system:serviceaccount:default:x", epoch0.Add(-time.Hour)))
	_, err := c.TokenWithOptions(context.Background(), armRes, TokenOptions{ForceRefresh: true})
	outputs = append(outputs, fmt.Sprint(err), fmt.Sprintf("%+v %v", c.Source(), c), logs.String())
	all := strings.Join(outputs, "\n")
	for _, secret := range []string{assertion, strings.Split(assertion, ".")[1], tokCanary} {
		if strings.Contains(all, secret) {
			t.Fatalf("a secret leaked:\n%s", all)
		}
	}
	if !strings.Contains(all, "AADSTS70021") {
		t.Fatalf("the outputs lack the errors they should carry:\n%s", all)
	}
}

func TestWorkloadTokenForAnotherIdentityRefused(t *testing.T) {
	for _, claim := range []string{"appid", "azp"} {
		f := newFakeEntra(t, func(w http.ResponseWriter, r *http.Request, n int) {
			writeJSON(w, 200, entraOK(makeJWT(map[string]any{claim: testCID, "exp": epoch0.Add(time.Hour).Unix()}), 3600, 0))
		})
		p := newWIPod(t, f.URL)
		_, err := p.cred(f, newFakeClock(true), Options{}).Token(context.Background(), armRes)
		if err == nil || !strings.Contains(err.Error(), "different identity: asked client ID "+wiClient+" (from AZURE_CLIENT_ID), got "+testCID) {
			t.Errorf("%s of another identity: %v", claim, err)
		}
	}
	// The identity asked for is accepted.
	f := newFakeEntra(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, entraOK(makeJWT(map[string]any{"appid": wiClient}), 3600, 0))
	})
	p := newWIPod(t, f.URL)
	if _, err := p.cred(f, newFakeClock(true), Options{}).Token(context.Background(), armRes); err != nil {
		t.Errorf("own identity: %v", err)
	}
}
