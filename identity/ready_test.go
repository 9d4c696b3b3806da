package identity

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// An endpoint that starts listening a moment after the first attempt is
// waited for when WaitReady asks for it (real clock, real port).
func TestWaitReadyEndpointComesUp(t *testing.T) {
	addr := closedPort(t)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, tokenBody(makeJWT(map[string]any{"oid": testOID}), armRes, 3600))
	})}
	up := make(chan error, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		ln, err := net.Listen("tcp", addr)
		up <- err
		if err == nil {
			_ = srv.Serve(ln)
		}
	}()
	t.Cleanup(func() { _ = srv.Close() })
	c := newTestCred(t, "http://"+addr, nil, Options{WaitReady: 10 * time.Second})
	tok, err := c.Token(context.Background(), armRes)
	if err != nil {
		if lerr := <-up; lerr != nil {
			t.Fatalf("port %s was taken meanwhile: %v", addr, lerr)
		}
		t.Fatalf("Token: %v", err)
	}
	if tok.AccessToken == "" {
		t.Fatal("empty token")
	}
}

// One that never comes up is reported unavailable once WaitReady has
// passed, not after the whole retry budget, with short growing waits.
func TestWaitReadyBoundAndUnavailable(t *testing.T) {
	addr := closedPort(t)
	clock := newFakeClock(true)
	c := newTestCred(t, "http://"+addr, clock, Options{WaitReady: 5 * time.Second})
	_, err := c.Token(context.Background(), armRes)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if !strings.Contains(err.Error(), "after waiting 5s for it to come up") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("message: %v", err)
	}
	if el := clock.Elapsed(); el != 5*time.Second {
		t.Errorf("gave up after %s of clock time, want exactly WaitReady (5s)", el)
	}
	w := clock.Waits()
	if len(w) < 8 || w[0] != 50*time.Millisecond || w[1] != 100*time.Millisecond {
		t.Fatalf("waits %v", w)
	}
	for _, d := range w {
		if d > time.Second {
			t.Errorf("wait %s longer than 1s", d)
		}
	}

	// The retry budget bounds WaitReady too.
	clock = newFakeClock(true)
	c = newTestCred(t, "http://"+addr, clock, Options{WaitReady: time.Minute, RetryBudget: 2 * time.Second})
	if _, err := c.Token(context.Background(), armRes); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if el := clock.Elapsed(); el > 2*time.Second {
		t.Errorf("waited %s past a 2s budget", el)
	}

	// A cancelled ctx ends the wait.
	c = newTestCred(t, "http://"+addr, newFakeClock(false), Options{WaitReady: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if _, err := c.Token(ctx, armRes); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestWaitReadyValidation(t *testing.T) {
	_, err := New(Options{Endpoint: "http://127.0.0.1:1", WaitReady: -time.Second, Getenv: func(string) string { return "" }})
	if err == nil || !strings.Contains(err.Error(), "WaitReady (-1s) must not be negative") {
		t.Fatalf("err = %v", err)
	}
}
