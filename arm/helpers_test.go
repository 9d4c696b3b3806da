package arm

import (
	"bytes"
	"context"
	"encoding/pem"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/testenv"
)

// canary is part of every test token; it must never show up in logs or errors.
const canary = "CANARYeyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret"

// fakeCred hands out numbered tokens and records forceRefresh flags.
type fakeCred struct {
	mu        sync.Mutex
	calls     int
	forced    int
	resources []string
}

func (f *fakeCred) ARMToken(_ context.Context, resource string, force bool) (AccessToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if force {
		f.forced++
	}
	f.resources = append(f.resources, resource)
	return AccessToken{Token: canary + strconv.Itoa(f.forced), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// sleeper is a Clock that records requested waits and ends each at once
// instead of sleeping; Now is the wall clock.
type sleeper struct {
	mu     sync.Mutex
	waits  []time.Duration
	before func(n int) // called with the number of waits so far, before the wait ends
}

func (s *sleeper) Now() time.Time { return time.Now() }

func (s *sleeper) After(d time.Duration) <-chan time.Time {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	n := len(s.waits)
	s.mu.Unlock()
	if s.before != nil {
		s.before(n)
	}
	ch := make(chan time.Time, 1)
	ch <- time.Now()
	return ch
}

func (s *sleeper) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

type testEnv struct {
	srv   *httptest.Server
	c     *Client
	cred  *fakeCred
	sleep *sleeper
	logs  *bytes.Buffer
}

// newTLSEnv starts an HTTPS test server with h and a client pointed at it
// through a loopback-only transport that trusts only the server's cert.
func newTLSEnv(t *testing.T, h http.Handler, mod func(*Options)) *testEnv {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	return startEnv(t, srv, testenv.LoopbackOnlyClient(caPEM), false, mod)
}

// newHTTPEnv is the plain-HTTP loopback variant.
func newHTTPEnv(t *testing.T, h http.Handler, mod func(*Options)) *testEnv {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return startEnv(t, srv, testenv.LoopbackOnlyClient(nil), true, mod)
}

// startEnv builds a Client for srv with a fake credential, a recording
// sleeper and debug logs captured in env.logs; mod adjusts the Options.
func startEnv(t *testing.T, srv *httptest.Server, hc *http.Client, insecureLoopback bool, mod func(*Options)) *testEnv {
	t.Helper()
	env := &testEnv{srv: srv, cred: &fakeCred{}, sleep: &sleeper{}, logs: &bytes.Buffer{}}
	o := Options{
		Credential:            env.cred,
		Endpoint:              srv.URL,
		HTTPClient:            hc,
		AllowInsecureLoopback: insecureLoopback,
		Clock:                 env.sleep,
		Logger:                slog.New(slog.NewTextHandler(&lockedWriter{b: env.logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Getenv:                func(string) string { return "" },
	}
	if mod != nil {
		mod(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	env.c = c
	return env
}

type lockedWriter struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func armError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("x-ms-request-id", "req-"+code)
	writeJSON(w, status, `{"error":{"code":"`+code+`","message":"`+msg+`"}}`)
}

// testURL parses a URL literal of a test.
func testURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
