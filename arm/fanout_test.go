package arm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/testenv"
)

// overlapWait bounds how long a test handler waits for concurrent requests
// that should overlap; reaching it fails the test with a message, not a hang.
const overlapWait = 10 * time.Second

func TestResourceGroupsAcrossOrderAndBound(t *testing.T) {
	const bound = 3
	var mu sync.Mutex
	inFlight, maxInFlight := 0, 0
	overlapped := make(chan struct{}) // closed once bound requests are in flight together, or one waited overlapWait
	release := sync.OnceFunc(func() { close(overlapped) })
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		if inFlight > maxInFlight {
			maxInFlight = inFlight
			if maxInFlight == bound {
				release()
			}
		}
		mu.Unlock()
		defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
		// The first requests wait for each other: a fan-out that ran the
		// lists one by one would leave the first here until overlapWait.
		select {
		case <-overlapped:
		case <-time.After(overlapWait):
			release()
		}
		sub := strings.Split(r.URL.Path, "/")[2]
		if sub == "bad" {
			armError(w, 404, "SubscriptionNotFound", "The subscription 'bad' could not be found.")
			return
		}
		writeJSON(w, 200, `{"value":[{"name":"`+sub+`-a"},{"name":"`+sub+`-b"}]}`)
	}), func(o *Options) { o.MaxConcurrency = bound })
	var subs []string
	for i := range 20 {
		subs = append(subs, fmt.Sprintf("sub%02d", i))
	}
	subs[7] = "bad"
	res, err := e.c.ResourceGroupsAcross(context.Background(), subs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(subs) {
		t.Fatalf("%d results", len(res))
	}
	for i, r := range res {
		if r.SubscriptionID != subs[i] {
			t.Fatalf("result %d is for %s, want %s", i, r.SubscriptionID, subs[i])
		}
		if subs[i] == "bad" {
			var re *ResponseError
			if !errors.As(r.Err, &re) || re.Code != "SubscriptionNotFound" {
				t.Errorf("bad sub err %v", r.Err)
			}
			continue
		}
		if r.Err != nil || len(r.Groups) != 2 || r.Groups[0].Name != subs[i]+"-a" {
			t.Errorf("result %d: %+v", i, r)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if maxInFlight != bound {
		t.Fatalf("at most %d requests were in flight together; want exactly the bound, %d (fewer: the lists did not overlap within %v)", maxInFlight, bound, overlapWait)
	}
}

func TestResourceGroupsAcrossCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // on a failure too: the server's Close waits for its hanging handlers
	started := make(chan struct{}, 100)
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-r.Context().Done() // hang until the client gives up
	}), func(o *Options) { o.MaxConcurrency = 2 })
	before := runtime.NumGoroutine()
	done := make(chan struct{})
	var res []SubscriptionGroups
	var err error
	go func() {
		defer close(done)
		res, err = e.c.ResourceGroupsAcross(ctx, []string{"a", "b", "c", "d", "e"}, nil)
	}()
	for i := range 2 {
		select {
		case <-started:
		case <-time.After(overlapWait):
			t.Fatalf("only %d of the 2 concurrent lists (MaxConcurrency 2) reached the server within %v", i, overlapWait)
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("ResourceGroupsAcross did not return after cancel")
	}
	if !errors.Is(err, context.Canceled) || len(res) != 5 {
		t.Fatalf("err %v len %d", err, len(res))
	}
	for _, r := range res {
		if !errors.Is(r.Err, context.Canceled) {
			t.Errorf("%s: err %v", r.SubscriptionID, r.Err)
		}
	}
	if len(started) != 0 {
		t.Errorf("%d more lists started after cancel", len(started))
	}
	// No goroutine of ours outlives the call (allow the HTTP transport's
	// idle connection goroutines to wind down).
	e.c.http.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		t.Errorf("goroutines: %d before, %d after", before, n)
	}
}

// A client without Options.HTTPClient keeps the fan-out's connections for
// the next fan-out (http.DefaultTransport would keep 2 per host and open,
// and handshake, most of them again every time).
func TestDefaultTransportReusesFanOutConnections(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	round, fresh := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if !seen[r.RemoteAddr] {
			seen[r.RemoteAddr] = true
			if round > 0 {
				fresh++
			}
		}
		mu.Unlock()
		time.Sleep(5 * time.Millisecond) // let the lists overlap
		writeJSON(w, 200, `{"value":[{"name":"a"}]}`)
	}))
	t.Cleanup(srv.Close)
	// The default transport's settings, dialling loopback only: were the
	// endpoint override lost, the request would fail instead of reaching ARM.
	e := startEnv(t, srv, &http.Client{Transport: loopbackShared(), CheckRedirect: noRedirects}, true, nil)
	var subs []string
	for i := range 3 * defaultMaxConcurrency {
		subs = append(subs, fmt.Sprintf("sub%02d", i))
	}
	for r := range 3 {
		mu.Lock()
		round = r
		mu.Unlock()
		if _, err := e.c.ResourceGroupsAcross(context.Background(), subs, nil); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if fresh != 0 || len(seen) > defaultMaxConcurrency {
		t.Fatalf("%d connections in all, %d opened after the first fan-out; want at most %d, all reused", len(seen), fresh, defaultMaxConcurrency)
	}
}

// loopbackShared is the transport that clients without Options.HTTPClient
// share, with the same pool settings, but dialling only loopback addresses.
func loopbackShared() *http.Transport {
	tr := newSharedTransport()
	tr.Proxy = nil
	tr.DialContext = testenv.LoopbackOnlyTransport().DialContext
	return tr
}

func TestLoopbackSharedTransportRefusesARM(t *testing.T) {
	// The dial check refuses host names before resolving them: no packet.
	_, err := loopbackShared().DialContext(context.Background(), "tcp", "management.azure.com:443")
	if !errors.Is(err, testenv.ErrNotLoopback) {
		t.Fatalf("dial management.azure.com: %v; want testenv.ErrNotLoopback", err)
	}
}

func TestClientsWithoutHTTPClientShareOneTransport(t *testing.T) {
	mk := func() *Client {
		c, err := New(Options{Credential: &fakeCred{}, Endpoint: "https://127.0.0.1:1", Getenv: func(string) string { return "" }})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b := mk(), mk()
	ta, ok := a.http.Transport.(*http.Transport)
	if !ok || ta != b.http.Transport || ta != sharedTransport() {
		t.Fatalf("transports %p %p, shared %p", a.http.Transport, b.http.Transport, sharedTransport())
	}
	if ta.MaxIdleConnsPerHost != 32 || ta.MaxIdleConns < 32 {
		t.Fatalf("idle connections per host %d, in all %d; want 32 and at least 32", ta.MaxIdleConnsPerHost, ta.MaxIdleConns)
	}
	if a.http.CheckRedirect == nil || a.http.CheckRedirect(nil, nil) != http.ErrUseLastResponse {
		t.Fatal("the default client follows redirects")
	}
}
