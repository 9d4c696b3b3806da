package identity

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/testenv"
)

// gatedIMDS answers token n as "tok-n" (lifetime life) once gate allows it;
// fail(n) may replace the answer with an error status.
type gatedIMDS struct {
	*fakeIMDS
	gate    chan struct{} // receive one value per request to release it; closed = open
	arrived chan int
}

func newGatedIMDS(t *testing.T, life time.Duration, fail func(n int) int) *gatedIMDS {
	g := &gatedIMDS{gate: make(chan struct{}), arrived: make(chan int, 2000)}
	g.fakeIMDS = newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
		g.arrived <- n
		select {
		case <-g.gate:
		case <-r.Context().Done():
			return
		}
		if fail != nil {
			if code := fail(n); code != 0 {
				writeJSON(w, code, `{"error":"invalid_request","error_description":"nope"}`)
				return
			}
		}
		writeJSON(w, 200, tokenBody(fmt.Sprintf("tok-%d", n), "r", int(life/time.Second)))
	})
	return g
}

// release lets one blocked request answer; it fails the test if no request
// is waiting within the deadline.
func (g *gatedIMDS) release(t *testing.T) {
	sendWithin(t, g.gate, struct{}{}, "a request blocked in the fake IMDS to release")
}

// next waits for the next request to arrive and returns its number.
func (g *gatedIMDS) next(t *testing.T) int {
	return recvWithin(t, g.arrived, "the next request at the fake IMDS")
}

func TestCacheHitAndKeys(t *testing.T) {
	srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, tokenBody(fmt.Sprintf("tok-%d", n), r.URL.Query().Get("resource"), 86400))
	})
	c := newTestCred(t, srv.URL, newFakeClock(true), Options{})
	ctx := context.Background()
	a1, _ := c.Token(ctx, "https://a/.default")
	a2, _ := c.Token(ctx, "https://a") // same resource, different spelling
	b1, _ := c.Token(ctx, "https://b")
	if a1.AccessToken != "tok-1" || a2.AccessToken != "tok-1" || b1.AccessToken != "tok-2" || srv.count.Load() != 2 {
		t.Fatalf("a1=%s a2=%s b1=%s requests=%d", a1.AccessToken, a2.AccessToken, b1.AccessToken, srv.count.Load())
	}
	f, err := c.TokenWithOptions(ctx, "https://a", TokenOptions{ForceRefresh: true})
	if err != nil || f.AccessToken != "tok-3" {
		t.Fatalf("ForceRefresh = %v, %v", f, err)
	}
	if a3, _ := c.Token(ctx, "https://a"); a3.AccessToken != "tok-3" {
		t.Fatalf("ForceRefresh did not replace the entry: %s", a3.AccessToken)
	}
	if _, err := c.Token(ctx, "a b"); err == nil {
		t.Fatal("two scopes accepted")
	}
}

func TestCachedTokenAllocs(t *testing.T) {
	srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, tokenBody("tok", "r", 86400)) })
	c := newTestCred(t, srv.URL, newFakeClock(true), Options{})
	ctx := context.Background()
	if _, err := c.Token(ctx, "https://management.azure.com/.default"); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := c.Token(ctx, "https://management.azure.com/.default"); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("cached Token allocates %v times per call", allocs)
	}
	if srv.count.Load() != 1 {
		t.Fatalf("%d requests", srv.count.Load())
	}
}

// The cached fast path looks the trimmed scope up before validating it; a
// warm cache must not let an invalid scope through.
func TestCachedFastPathStillValidates(t *testing.T) {
	srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, tokenBody("tok", "r", 86400)) })
	c := newTestCred(t, srv.URL, newFakeClock(true), Options{})
	ctx := context.Background()
	if _, err := c.Token(ctx, "https://management.azure.com"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		"",
		"/.default",
		"https://management.azure.com https://management.azure.com",
		"https://management.azure.com/.default,https://management.azure.com",
		"https://management.azure.com\t",
	} {
		if _, err := c.Token(ctx, bad); err == nil {
			t.Errorf("Token(%q) succeeded on a warm cache; want a scope error", bad)
		}
	}
	if _, err := c.Token(ctx, "https://management.azure.com/.default"); err != nil {
		t.Fatal(err)
	}
	if n := srv.count.Load(); n != 1 {
		t.Fatalf("%d upstream requests, want 1 (scope and resource share the entry)", n)
	}
}

func BenchmarkCachedToken(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, tokenBody("tok", "r", 86400)) }))
	defer srv.Close()
	c, err := New(Options{Endpoint: srv.URL, Getenv: func(string) string { return "" }})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	guardLoopback(b, c)
	ctx := context.Background()
	if _, err := c.Token(ctx, "https://management.azure.com/.default"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Token(ctx, "https://management.azure.com/.default"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestConcurrentColdCallersShareOneRequest(t *testing.T) {
	g := newGatedIMDS(t, 24*time.Hour, nil)
	c := newTestCred(t, g.URL, newFakeClock(true), Options{})
	const callers = 1000
	var wg sync.WaitGroup
	var ok atomic.Int64
	started := make(chan struct{}, callers)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started <- struct{}{}
			tok, err := c.Token(context.Background(), "r")
			if err == nil && tok.AccessToken == "tok-1" {
				ok.Add(1)
			}
		}()
	}
	for range callers {
		recvWithin(t, started, "the callers to start")
	}
	g.next(t)
	close(g.gate)
	waitGroupWithin(t, &wg, "every caller to get its token")
	if n := g.count.Load(); n != 1 {
		t.Fatalf("%d upstream requests for %d cold callers, want 1", n, callers)
	}
	if ok.Load() != callers {
		t.Fatalf("%d callers got the token", ok.Load())
	}
}

func TestWaiterCancellationDoesNotCancelOthers(t *testing.T) {
	g := newGatedIMDS(t, 24*time.Hour, nil)
	c := newTestCred(t, g.URL, newFakeClock(true), Options{})
	ctxA, cancelA := context.WithCancel(context.Background())
	errA := make(chan error, 1)
	go func() { _, err := c.Token(ctxA, "r"); errA <- err }()
	g.next(t) // the fetch is in flight, started by A
	resB := make(chan Token, 1)
	go func() { tok, _ := c.Token(context.Background(), "r"); resB <- tok }()
	cancelA()
	if err := recvWithin(t, errA, "A to give up"); !errors.Is(err, context.Canceled) {
		t.Fatalf("A: %v, want context.Canceled", err)
	}
	g.release(t)
	if tok := recvWithin(t, resB, "B's token"); tok.AccessToken != "tok-1" {
		t.Fatalf("B got %q", tok.AccessToken)
	}
	if n := g.count.Load(); n != 1 {
		t.Fatalf("%d requests", n)
	}
}

func TestBackgroundRefresh(t *testing.T) {
	clock := newFakeClock(false)
	g := newGatedIMDS(t, time.Hour, func(n int) int {
		if n == 3 || n == 4 {
			return 400 // refreshes 2 and 3 fail
		}
		return 0
	})
	c := newTestCred(t, g.URL, clock, Options{})
	ctx := context.Background()

	first := goToken(c, "r")
	g.next(t)
	g.release(t)
	tok, err := first.within(t, "the first token")
	if err != nil || tok.AccessToken != "tok-1" {
		t.Fatalf("first = %v, %v", tok, err)
	}
	if want := epoch0.Add(55 * time.Minute); !tok.RefreshOn.Equal(want) {
		t.Fatalf("RefreshOn = %v, want %v", tok.RefreshOn, want)
	}

	// Past RefreshOn: callers get the cached token at once while one
	// refresh runs (the handler is blocked).
	clock.Advance(56 * time.Minute)
	for range 50 {
		if tok, err := c.Token(ctx, "r"); err != nil || tok.AccessToken != "tok-1" {
			t.Fatalf("during refresh = %v, %v", tok, err)
		}
	}
	if n := g.next(t); n != 2 {
		t.Fatalf("refresh request #%d", n)
	}
	g.release(t)
	waitFor(t, func() bool { tok, _ := c.Token(ctx, "r"); return tok.AccessToken == "tok-2" })
	if n := g.count.Load(); n != 2 {
		t.Fatalf("%d requests, want 2 (one refresh)", n)
	}

	// A failed refresh keeps serving the cached token and backs off. A
	// refresh, once started, stays in flight (busy) until released, so
	// "no refresh started" is checked right after each call, not by a
	// request counter that a started refresh may not have reached yet.
	e := c.lookup("r")
	clock.Advance(56 * time.Minute) // tok-2 RefreshOn passed, still valid until +60
	c.Token(ctx, "r")
	g.next(t)
	g.release(t) // #3 fails
	waitFor(t, func() bool { return !e.busy.Load() })
	for range 20 {
		if tok, err := c.Token(ctx, "r"); err != nil || tok.AccessToken != "tok-2" {
			t.Fatalf("after failed refresh = %v, %v", tok, err)
		}
		if e.busy.Load() {
			t.Fatal("a refresh started right after a failed one: no back-off")
		}
	}
	clock.Advance(31 * time.Second) // backoff over: one more try (#4 fails too)
	c.Token(ctx, "r")
	if !e.busy.Load() {
		t.Fatal("no refresh after the 30 s back-off")
	}
	g.next(t)
	g.release(t)
	waitFor(t, func() bool { return !e.busy.Load() })
	clock.Advance(31 * time.Second) // second backoff is 60 s: no request yet
	c.Token(ctx, "r")
	if e.busy.Load() {
		t.Fatal("a refresh started 31 s after the second failure; the back-off is 60 s")
	}
	if n := g.count.Load(); n != 4 {
		t.Fatalf("%d requests, want 4", n)
	}

	// Under 30 s of validity left: the caller waits for a fresh token.
	clock.Advance(2*time.Minute + 30*time.Second) // now at +60m - 28s of tok-2
	done := goToken(c, "r")
	if n := g.next(t); n != 5 {
		t.Fatalf("sync request #%d", n)
	}
	if !e.busy.Load() {
		t.Fatal("the sync fetch is not in flight")
	}
	select {
	case r := <-done:
		t.Fatalf("returned %q before the fetch finished", r.tok.AccessToken)
	case <-time.After(20 * time.Millisecond):
	}
	g.release(t)
	if tok, _ := done.within(t, "the sync fetch"); tok.AccessToken != "tok-5" {
		t.Fatalf("sync fetch got %q", tok.AccessToken)
	}
}

// After failed background refreshes the next one waits 30 s, 1 min, 2 min,
// 4 min, then 5 min for good: checked step by step on the fake clock, one
// second before (no refresh) and at each step (one refresh).
func TestBackgroundRefreshBackoffSteps(t *testing.T) {
	clock := newFakeClock(false)
	g := newGatedIMDS(t, 24*time.Hour, func(n int) int {
		if n > 1 {
			return 500
		}
		return 0
	})
	// One attempt per refresh: no retry of the 500 inside an acquisition.
	c := newTestCred(t, g.URL, clock, Options{RetryBudget: time.Millisecond})
	ctx := context.Background()
	first := goToken(c, "r")
	g.next(t)
	g.release(t)
	if _, err := first.within(t, "the first token"); err != nil {
		t.Fatal(err)
	}
	e := c.lookup("r")
	refresh := func(step int) {
		t.Helper()
		c.Token(ctx, "r")
		if !e.busy.Load() {
			t.Fatalf("step %d: no background refresh started", step)
		}
		g.next(t)
		g.release(t)
		waitFor(t, func() bool { return !e.busy.Load() })
	}
	clock.Advance(12 * time.Hour) // RefreshOn: half of the 24 h lifetime
	refresh(0)
	for i, step := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute} {
		clock.Advance(step - time.Second)
		if tok, err := c.Token(ctx, "r"); err != nil || tok.AccessToken != "tok-1" {
			t.Fatalf("step %d: %v, %v; want the cached token", i+1, tok, err)
		}
		if e.busy.Load() {
			t.Fatalf("step %d: a refresh started %v after failure %d; want a back-off of %v", i+1, step-time.Second, i+1, step)
		}
		clock.Advance(time.Second)
		refresh(i + 1)
	}
	if n := g.count.Load(); n != 8 {
		t.Fatalf("%d requests, want 8 (the first token and 7 refreshes)", n)
	}
}

func TestRefreshBackoff(t *testing.T) {
	for _, tt := range []struct {
		failures int
		want     time.Duration
	}{{0, 30 * time.Second}, {1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute}, {4, 4 * time.Minute}, {5, 5 * time.Minute}, {50, 5 * time.Minute}} {
		if got := refreshBackoff(tt.failures); got != tt.want {
			t.Errorf("refreshBackoff(%d) = %v, want %v", tt.failures, got, tt.want)
		}
	}
}

func TestRefreshInHonoured(t *testing.T) {
	clock := newFakeClock(false)
	srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, fmt.Sprintf(`{"access_token":"tok-%d","expires_in":86400,"refresh_in":600,"token_type":"Bearer"}`, n))
	})
	c := newTestCred(t, srv.URL, clock, Options{})
	ctx := context.Background()
	tok, _ := c.Token(ctx, "r")
	if !tok.RefreshOn.Equal(epoch0.Add(10 * time.Minute)) {
		t.Fatalf("RefreshOn = %v", tok.RefreshOn)
	}
	clock.Advance(9 * time.Minute)
	c.Token(ctx, "r")
	if srv.count.Load() != 1 {
		t.Fatal("refreshed before refresh_in")
	}
	clock.Advance(2 * time.Minute)
	c.Token(ctx, "r")
	waitFor(t, func() bool { tok, _ := c.Token(ctx, "r"); return tok.AccessToken == "tok-2" })
}

func TestCloseStopsBackgroundWork(t *testing.T) {
	clock := newFakeClock(false)
	g := newGatedIMDS(t, time.Hour, nil)
	base := runtime.NumGoroutine()
	c := newTestCred(t, g.URL, clock, Options{})
	first := goToken(c, "r")
	g.next(t)
	g.release(t)
	if _, err := first.within(t, "the first token"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(56 * time.Minute)
	c.Token(context.Background(), "r") // starts a background refresh, blocked in the handler
	g.next(t)
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }() // cancels the fetch and waits for it
	if err := recvWithin(t, closed, "Close to stop the background refresh"); err != nil {
		t.Fatal(err)
	}
	if c.lookup("r").busy.Load() {
		t.Fatal("fetch still running after Close")
	}
	if err := c.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, err := c.Token(context.Background(), "r"); !errors.Is(err, errClosed) {
		t.Fatalf("Token after Close = %v", err)
	}
	if _, err := c.Instance(context.Background()); !errors.Is(err, errClosed) {
		t.Fatalf("Instance after Close = %v", err)
	}
	c.client.CloseIdleConnections()
	waitFor(t, func() bool { return runtime.NumGoroutine() <= base })
}

func TestCloseFailsWaiters(t *testing.T) {
	g := newGatedIMDS(t, time.Hour, nil)
	c := newTestCred(t, g.URL, newFakeClock(true), Options{})
	errc := make(chan error, 1)
	go func() { _, err := c.Token(context.Background(), "r"); errc <- err }()
	g.next(t)
	c.Close()
	if err := recvWithin(t, errc, "the waiter to fail on Close"); !errors.Is(err, errClosed) {
		t.Fatalf("waiter got %v", err)
	}
}

// waitFor polls cond (real time, generous bound) for effects of goroutines
// the test cannot join; it asserts an outcome, never a speed.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}

// With the real clock (time.Now on the cached path) tokens are served
// from the cache, and one whose usable time has passed is not.
func TestRealClockCache(t *testing.T) {
	srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, tokenBody("tok", "r", 86400)) })
	c, err := New(Options{Endpoint: srv.URL, HTTPClient: testenv.LoopbackOnlyClient(nil), Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := c.Token(ctx, "https://management.azure.com/.default"); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.count.Load(); n != 1 {
		t.Fatalf("%d upstream requests, want 1", n)
	}
	// Age the cached token past its usable time: the next call fetches.
	e := c.lookup("https://management.azure.com")
	old := e.tok.Load()
	stale := *old
	stale.usableUntil = time.Now().Add(-time.Second)
	e.tok.Store(&stale)
	if _, err := c.Token(ctx, "https://management.azure.com"); err != nil {
		t.Fatal(err)
	}
	if n := srv.count.Load(); n != 2 {
		t.Fatalf("%d upstream requests after expiry, want 2", n)
	}
}
