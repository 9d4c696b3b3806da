package arm

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func TestCloudByName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"AzurePublicCloud", "AzurePublicCloud"},
		{"AZUREPUBLICCLOUD", "AzurePublicCloud"},
		{"public", "AzurePublicCloud"},
		{" Public ", "AzurePublicCloud"},
		{"AzureUSGovernmentCloud", "AzureUSGovernmentCloud"},
		{"usgov", "AzureUSGovernmentCloud"},
		{"AzureChinaCloud", "AzureChinaCloud"},
		{"CHINA", "AzureChinaCloud"},
	} {
		c, err := CloudByName(tc.in)
		if err != nil || c.Name != tc.want {
			t.Errorf("CloudByName(%q) = %v, %v; want %s", tc.in, c.Name, err, tc.want)
		}
	}
	if AzurePublicCloud.Endpoint != "https://management.azure.com" || AzurePublicCloud.Audience != "https://management.core.windows.net/" {
		t.Errorf("public cloud = %+v", AzurePublicCloud)
	}
	for _, bad := range []string{"", "mars", "AzureGermanCloud"} {
		_, err := CloudByName(bad)
		if err == nil || !strings.Contains(err.Error(), "AzurePublicCloud") || !strings.Contains(err.Error(), "usgov") {
			t.Errorf("CloudByName(%q) error = %v; want one listing the valid names", bad, err)
		}
	}
}

func TestNewValidation(t *testing.T) {
	cred := &fakeCred{}
	noenv := func(string) string { return "" }
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"no credential", Options{Getenv: noenv}, "Credential is required"},
		{"plain http", Options{Credential: cred, Endpoint: "http://127.0.0.1:1", Getenv: noenv}, "refusing to send a bearer token over plain HTTP"},
		{"http non-loopback", Options{Credential: cred, Endpoint: "http://10.0.0.1", AllowInsecureLoopback: true, Getenv: noenv}, "only to a loopback address (127.0.0.0/8, ::1, localhost)"},
		{"http metadata address", Options{Credential: cred, Endpoint: "http://169.254.169.254", AllowInsecureLoopback: true, Getenv: noenv}, "only to a loopback address"},
		{"relative", Options{Credential: cred, Endpoint: "management.azure.com", Getenv: noenv}, "not an absolute http(s) URL"},
		{"env http", Options{Credential: cred, Getenv: func(string) string { return "http://example.com" }}, "$AZMSI_ARM_ENDPOINT"},
		{"query", Options{Credential: cred, Endpoint: "https://h/?a=b", Getenv: noenv}, "must not contain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New error = %v; want it to contain %q", err, tc.want)
			}
		})
	}
	for _, ok := range []string{"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:2", "http://127.3.4.5"} {
		if _, err := New(Options{Credential: cred, Endpoint: ok, AllowInsecureLoopback: true, Getenv: noenv}); err != nil {
			t.Errorf("New(%s) = %v", ok, err)
		}
	}
}

func TestEndpointPrecedence(t *testing.T) {
	cred := &fakeCred{}
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == EnvEndpoint {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"default", Options{Getenv: env("")}, "https://management.azure.com"},
		{"cloud", Options{Cloud: AzureChinaCloud, Getenv: env("")}, "https://management.chinacloudapi.cn"},
		{"env beats cloud", Options{Cloud: AzureChinaCloud, Getenv: env("https://127.0.0.1:9/")}, "https://127.0.0.1:9"},
		{"option beats env", Options{Endpoint: "https://127.0.0.1:7", Getenv: env("https://127.0.0.1:9")}, "https://127.0.0.1:7"},
	} {
		tc.o.Credential = cred
		c, err := New(tc.o)
		if err != nil {
			t.Fatal(err)
		}
		if c.Endpoint() != tc.want {
			t.Errorf("%s: endpoint %s, want %s", tc.name, c.Endpoint(), tc.want)
		}
	}
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestRequestHeadersAndAudience(t *testing.T) {
	var mu sync.Mutex
	var reqs []*http.Request
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs = append(reqs, r.Clone(context.Background()))
		mu.Unlock()
		writeJSON(w, 200, `{}`)
	})
	// Endpoint overridden, cloud US Gov: the audience must follow the cloud.
	e := newTLSEnv(t, h, func(o *Options) { o.Cloud = AzureUSGovernment; o.UserAgent = "mytool/1.0" })
	ctx := context.Background()
	if _, err := e.c.Do(ctx, "get", "/subscriptions/s1?x=1", "2022-12-01", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Do(ctx, "PUT", e.srv.URL+"/subscriptions/s1/resourcegroups/rg", "2021-04-01", []byte(`{"location":"eastus"}`)); err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 2 {
		t.Fatalf("got %d requests", len(reqs))
	}
	if reqs[0].Header.Get("x-ms-client-request-id") == reqs[1].Header.Get("x-ms-client-request-id") {
		t.Error("client request id reused")
	}
	for _, r := range reqs {
		if got := r.Header.Get("Authorization"); got != "Bearer "+canary+"0" {
			t.Errorf("Authorization = %q", got)
		}
		if id := r.Header.Get("x-ms-client-request-id"); !uuidV4.MatchString(id) {
			t.Errorf("x-ms-client-request-id %q is not a v4 UUID", id)
		}
		if ua := r.Header.Get("User-Agent"); ua != "azmsi/dev mytool/1.0" {
			t.Errorf("User-Agent = %q", ua)
		}
		if r.Header.Get("Accept") != "application/json" {
			t.Errorf("Accept = %q", r.Header.Get("Accept"))
		}
	}
	if q := reqs[0].URL.Query(); q.Get("api-version") != "2022-12-01" || q.Get("x") != "1" || reqs[0].Method != "GET" {
		t.Errorf("first request %s %s", reqs[0].Method, reqs[0].URL)
	}
	if reqs[1].Header.Get("Content-Type") != "application/json" || reqs[1].URL.Query().Get("api-version") != "2021-04-01" {
		t.Errorf("second request %s %v", reqs[1].URL, reqs[1].Header)
	}
	for _, res := range e.cred.resources {
		if res != AzureUSGovernment.Audience {
			t.Errorf("token requested for %q, want the cloud audience %q", res, AzureUSGovernment.Audience)
		}
	}
}

func TestDoPathErrors(t *testing.T) {
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("no request expected, got %s", r.URL)
	}), nil)
	ctx := context.Background()
	for _, tc := range []struct{ path, ver, want string }{
		{"/subscriptions", "", "no api-version"},
		{"", "1", "empty request path"},
		{"https://evil.example.com/subscriptions", "1", "refusing to send the token there"},
		{"http://" + e.srv.Listener.Addr().String() + "/x", "1", "refusing to send the token there"},
		{"//evil.example.com/x", "1", "names a host"},
	} {
		_, err := e.c.Do(ctx, "GET", tc.path, tc.ver, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Do(%q) error = %v; want %q", tc.path, err, tc.want)
		}
	}
	// The cloud's own host is rewritten to the configured endpoint.
	u, err := e.c.resolve("https://management.azure.com/subscriptions?api-version=1")
	if err != nil || u.Host != e.srv.Listener.Addr().String() {
		t.Errorf("rewrite: %v %v", u, err)
	}
}

func TestHTTPLoopbackWorks(t *testing.T) {
	e := newHTTPEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"subscriptionId":"s1"}`)
	}), nil)
	s, err := e.c.GetSubscription(context.Background(), "s1")
	if err != nil || s.SubscriptionID != "s1" {
		t.Fatalf("%+v %v", s, err)
	}
}
