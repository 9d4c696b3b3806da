package arm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestResourceGroupsAcrossOrderAndBound(t *testing.T) {
	var mu sync.Mutex
	inFlight, maxInFlight := 0, 0
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		if inFlight > maxInFlight {
			maxInFlight = inFlight
		}
		mu.Unlock()
		defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
		// Hold the request briefly so that concurrent lists overlap.
		time.Sleep(5 * time.Millisecond)
		sub := strings.Split(r.URL.Path, "/")[2]
		if sub == "bad" {
			armError(w, 404, "SubscriptionNotFound", "The subscription 'bad' could not be found.")
			return
		}
		writeJSON(w, 200, `{"value":[{"name":"`+sub+`-a"},{"name":"`+sub+`-b"}]}`)
	}), func(o *Options) { o.MaxConcurrency = 3 })
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
	if maxInFlight > 3 || maxInFlight < 1 {
		t.Fatalf("max in flight %d, bound 3", maxInFlight)
	}
}

func TestResourceGroupsAcrossCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
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
	<-started
	<-started
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
	e := newHTTPEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
	}), func(o *Options) { o.HTTPClient = nil }) // the default client, at a loopback endpoint
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
