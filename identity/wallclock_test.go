package identity

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/testenv"
)

// wallNow is the wall clock: between two time.Now readings (1 ms slack for
// its microsecond resolution).
func TestWallNow(t *testing.T) {
	for i := 0; i < 100; i++ {
		before := time.Now()
		w := wallNow()
		after := time.Now()
		if w.Before(before.Add(-time.Millisecond)) || w.After(after.Add(time.Millisecond)) {
			t.Fatalf("wallNow() = %v, not between %v and %v", w, before, after)
		}
	}
}

// With the real clock the cached check uses wallNow; tokens are served
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
	stale.usableUntil = wallNow().Add(-time.Second)
	e.tok.Store(&stale)
	if _, err := c.Token(ctx, "https://management.azure.com"); err != nil {
		t.Fatal(err)
	}
	if n := srv.count.Load(); n != 2 {
		t.Fatalf("%d upstream requests after expiry, want 2", n)
	}
}
