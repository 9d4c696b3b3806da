package azcompat_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/azmsi/azmsi/azcompat"
	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/testenv"
)

const armScope = "https://management.core.windows.net//.default"

// fakeIMDS issues "tok-1", "tok-2", ... and records the resources asked for.
type fakeIMDS struct {
	*httptest.Server
	n         atomic.Int32
	resources chan string
}

func newFakeIMDS(t *testing.T) *fakeIMDS {
	f := &fakeIMDS{resources: make(chan string, 16)}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Metadata") != "true" || r.URL.Path != "/metadata/identity/oauth2/token" {
			http.Error(w, `{"error":"bad_request_102","error_description":"Required metadata header not specified"}`, http.StatusBadRequest)
			return
		}
		n := f.n.Add(1)
		res := r.URL.Query().Get("resource")
		select {
		case f.resources <- res:
		default:
		}
		exp := time.Now().Add(time.Hour).Unix()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%d","expires_in":"3600","expires_on":"%d","not_before":"%d","resource":%q,"token_type":"Bearer"}`,
			n, exp, exp-3600, res)
	}))
	t.Cleanup(f.Close)
	return f
}

func newCred(t *testing.T, endpoint string) *identity.Credential {
	t.Helper()
	c, err := identity.New(identity.Options{
		Endpoint:    endpoint,
		HTTPClient:  testenv.LoopbackOnlyClient(nil),
		RetryBudget: 2 * time.Second,
		Getenv:      func(string) string { return "" },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func newPipeline(cred *azcompat.Credential, client *http.Client) runtime.Pipeline {
	return runtime.NewPipeline("azcompattest", "v0.0.0", runtime.PipelineOptions{
		PerRetry: []policy.Policy{runtime.NewBearerTokenPolicy(cred, []string{armScope}, nil)},
	}, &policy.ClientOptions{Transport: client, Retry: policy.RetryOptions{MaxRetries: -1}})
}

// A CAE claims challenge from the resource must make azcore ask again with
// Claims set, and the adapter must then bypass identity's cache: otherwise
// the rejected token would be sent again.
func TestBearerPolicyClaimsChallengeRefreshes(t *testing.T) {
	imds := newFakeIMDS(t)
	var seen []string
	arm := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		seen = append(seen, auth)
		if auth == "Bearer tok-1" {
			claims := base64.StdEncoding.EncodeToString([]byte(`{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}`))
			w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="https://login.windows.net/", error="insufficient_claims", claims="`+claims+`"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer arm.Close()

	pl := newPipeline(azcompat.New(newCred(t, imds.URL)), arm.Client())
	req, err := runtime.NewRequest(context.Background(), http.MethodGet, arm.URL+"/subscriptions")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := pl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200 after the challenge", resp.StatusCode)
	}
	if want := []string{"Bearer tok-1", "Bearer tok-2"}; fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("resource saw %v, want %v", seen, want)
	}
	if got := <-imds.resources; got != "https://management.core.windows.net/" {
		t.Errorf("IMDS was asked for resource %q, want the ARM audience with its trailing slash", got)
	}
}

// Without a challenge, repeated requests reuse one token: the adapter adds no
// cache of its own but must not defeat identity's.
func TestBearerPolicyReusesToken(t *testing.T) {
	imds := newFakeIMDS(t)
	arm := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer arm.Close()
	cred := azcompat.New(newCred(t, imds.URL))
	for i := 0; i < 3; i++ {
		// A new pipeline each time: azcore's own token cache is per policy,
		// so this exercises identity's cache behind the adapter.
		pl := newPipeline(cred, arm.Client())
		req, _ := runtime.NewRequest(context.Background(), http.MethodGet, arm.URL+"/")
		resp, err := pl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if n := imds.n.Load(); n != 1 {
		t.Errorf("IMDS served %d tokens for 3 requests, want 1", n)
	}
}

// Off Azure, the error that reaches the SDK caller still says "unavailable"
// and carries no token.
func TestPipelineUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + ln.Addr().String()
	ln.Close() // nothing listens here any more: connection refused

	arm := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the resource must not be called without a token")
	}))
	defer arm.Close()
	pl := newPipeline(azcompat.New(newCred(t, endpoint)), arm.Client())
	req, _ := runtime.NewRequest(context.Background(), http.MethodGet, arm.URL+"/")
	_, err = pl.Do(req)
	if !errors.Is(err, identity.ErrUnavailable) {
		t.Fatalf("err = %v, want errors.Is identity.ErrUnavailable", err)
	}
	var ue *azcompat.UnavailableError
	if !errors.As(err, &ue) {
		t.Errorf("err = %T, want *azcompat.UnavailableError in the chain", err)
	}
	if strings.Contains(err.Error(), "tok-") {
		t.Errorf("error leaks a token: %v", err)
	}
}

// cachingAppService is an App Service endpoint that caches its token, as the
// real hosts do: only a 2025-03-30 request naming the current token's
// SHA-256 with xms_cc=cp1 gets a new one.
func cachingAppService(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var mu sync.Mutex
	var minted atomic.Int32
	current := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		q := r.URL.Query()
		if r.Header.Get("X-IDENTITY-HEADER") != "hdr" {
			http.Error(w, `{"statusCode":401,"message":"no header"}`, http.StatusUnauthorized)
			return
		}
		sum := sha256.Sum256([]byte(current))
		if current == "" || (q.Get("api-version") == "2025-03-30" && q.Get("xms_cc") == "cp1" && q.Get("token_sha256_to_refresh") == hex.EncodeToString(sum[:])) {
			current = fmt.Sprintf("tok-%d", minted.Add(1))
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"expires_on":"%d","resource":%q,"token_type":"Bearer"}`, current, time.Now().Add(time.Hour).Unix(), q.Get("resource"))
	}))
	t.Cleanup(srv.Close)
	return srv, &minted
}

// A claims challenge on a host that caches tokens: azcore asks again with
// Claims, azcompat passes them on, identity names the rejected token to the
// host, and the resource then sees a new token.
func TestBearerPolicyClaimsChallengeOnCachingHost(t *testing.T) {
	host, minted := cachingAppService(t)
	var seen []string
	arm := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		seen = append(seen, auth)
		if auth == "Bearer tok-1" {
			claims := base64.StdEncoding.EncodeToString([]byte(`{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}`))
			w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="https://login.windows.net/", error="insufficient_claims", claims="`+claims+`"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
	}))
	defer arm.Close()
	env := map[string]string{"IDENTITY_ENDPOINT": host.URL + "/msi/token", "IDENTITY_HEADER": "hdr"}
	c, err := identity.New(identity.Options{Getenv: func(k string) string { return env[k] }, HTTPClient: testenv.LoopbackOnlyClient(nil), RetryBudget: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pl := newPipeline(azcompat.New(c), arm.Client())
	req, _ := runtime.NewRequest(context.Background(), http.MethodGet, arm.URL+"/subscriptions")
	resp, err := pl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || fmt.Sprint(seen) != "[Bearer tok-1 Bearer tok-2]" || minted.Load() != 2 {
		t.Fatalf("status %d, resource saw %v, host minted %d", resp.StatusCode, seen, minted.Load())
	}
}
