package broker

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/testenv"
)

// recorder keeps the start time of every upstream request.
type recorder struct {
	mu sync.Mutex
	ts []time.Time
}

func (r *recorder) add(t time.Time) { r.mu.Lock(); r.ts = append(r.ts, t); r.mu.Unlock() }

// checkWindow fails when more than rate starts fall in any one second.
func (r *recorder) checkWindow(t *testing.T, rate int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := rate; i < len(r.ts); i++ {
		if d := r.ts[i].Sub(r.ts[i-rate]); d < time.Second {
			t.Fatalf("upstream starts %d..%d within %s: more than %d per second", i-rate, i, d, rate)
		}
	}
}

// inFlight counts concurrent requests seen by the upstream transport.
type inFlight struct {
	base     http.RoundTripper
	cur, max atomic.Int64
}

func (f *inFlight) RoundTrip(r *http.Request) (*http.Response, error) {
	n := f.cur.Add(1)
	defer f.cur.Add(-1)
	for m := f.max.Load(); n > m && !f.max.CompareAndSwap(m, n); m = f.max.Load() {
	}
	return f.base.RoundTrip(r)
}

// The proof of issue 8: 200 clients, each with its own credential (its own
// cache, like a separate process), ask the broker for 3 identities × 2
// resources. Upstream sees 6 requests, no client fails, every client gets
// a token for the identity and resource it asked for.
func TestBroker200Clients(t *testing.T) {
	emu := startEmulator(t, emulator.Options{})
	logs := &bytes.Buffer{}
	var logMu sync.Mutex
	b := startBroker(t, emu.IMDSEndpoint(), Options{Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: logs, mu: &logMu}, nil))})
	rec := &recorder{}
	b.lim.record = rec.add

	ids := []identity.ID{{}, identity.ClientID(contributorID), identity.ClientID(readerID)}
	wantApp := []string{systemClientID, contributorID, readerID}
	resources := []string{armResource, vaultResource}

	const clients = 200
	var wg sync.WaitGroup
	errs := make(chan error, clients*6)
	tokens := make(chan string, clients*6)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			creds := make([]*identity.Credential, len(ids))
			for j, id := range ids {
				creds[j] = client(t, b.url, id)
			}
			order := rand.Perm(6)
			for _, k := range order {
				j, res := k/2, resources[k%2]
				tok, err := creds[j].Token(context.Background(), res)
				if err != nil {
					errs <- fmt.Errorf("client %d, %s, %s: %v", i, ids[j], res, err)
					continue
				}
				c, err := identity.ParseClaims(tok.AccessToken)
				if err != nil || c.AppID != wantApp[j] || strings.TrimRight(c.Audience, "/") != strings.TrimRight(res, "/") {
					errs <- fmt.Errorf("client %d got a token for %s/%s, asked %s/%s (%v)", i, c.AppID, c.Audience, wantApp[j], res, err)
				}
				tokens <- tok.AccessToken
			}
		}()
	}
	wg.Wait()
	close(errs)
	close(tokens)
	for err := range errs {
		t.Error(err)
	}

	if n := emu.Stats().TokenRequests; n != 6 {
		t.Errorf("emulator saw %d token requests, want 6", n)
	}
	s := b.Stats()
	if s.UpstreamRequests != 6 || s.Refreshes != 0 {
		t.Errorf("upstream requests %d, refreshes %d; want 6, 0", s.UpstreamRequests, s.Refreshes)
	}
	if s.ClientsServed != clients*6 || s.Errors != 0 || s.Rejected != 0 {
		t.Errorf("served %d, errors %d, rejected %d; want %d, 0, 0", s.ClientsServed, s.Errors, s.Rejected, clients*6)
	}
	if len(s.Tokens) != 6 {
		t.Fatalf("stats list %d tokens, want 6: %+v", len(s.Tokens), s.Tokens)
	}
	var hits int64
	for _, ts := range s.Tokens {
		if ts.Served != clients {
			t.Errorf("%s %s served %d times, want %d", ts.Identity, ts.Resource, ts.Served, clients)
		}
		if ts.ExpiresInSeconds < 23*3600 || ts.AgeSeconds > 3600 || ts.IssuedAt.IsZero() {
			t.Errorf("%s %s: expires in %.0fs, age %.0fs, issued %v", ts.Identity, ts.Resource, ts.ExpiresInSeconds, ts.AgeSeconds, ts.IssuedAt)
		}
		hits += ts.CacheHits
	}
	if hits != s.CacheHits || s.CacheHits > s.ClientsServed-6 {
		t.Errorf("cache hits %d (per token %d) of %d served: at least 6 must have waited for upstream", s.CacheHits, hits, s.ClientsServed)
	}
	rec.checkWindow(t, DefaultUpstreamRate)
	t.Logf("served %d, cache hits %d, upstream %d, throttled waits %d", s.ClientsServed, s.CacheHits, s.UpstreamRequests, s.ThrottledWaits)

	// No token in the request log.
	logMu.Lock()
	defer logMu.Unlock()
	if !strings.Contains(logs.String(), "azmsi broker request") {
		t.Fatalf("no request log lines")
	}
	for tok := range tokens {
		if strings.Contains(logs.String(), tok[strings.LastIndexByte(tok, '.')+1:]) {
			t.Fatal("a token signature appears in the broker log")
		}
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Many distinct resources force many upstream requests: the limiter keeps
// them within the rate (sliding one-second window) and the concurrency
// limit, counting the waits.
func TestUpstreamLimits(t *testing.T) {
	emu := startEmulator(t, emulator.Options{})
	up := &inFlight{base: testenv.LoopbackOnlyTransport()}
	const rate, conc, n = 10, 2, 25
	b := startBroker(t, emu.IMDSEndpoint(), Options{
		UpstreamRate:        rate,
		UpstreamConcurrency: conc,
		Upstream:            identity.Options{HTTPClient: &http.Client{Transport: up}},
	})
	rec := &recorder{}
	b.lim.record = rec.add
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := client(t, b.url, identity.ID{})
			if _, err := c.Token(context.Background(), fmt.Sprintf("api://resource-%d", i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	s := b.Stats()
	if s.UpstreamRequests != n || emu.Stats().TokenRequests != n {
		t.Fatalf("upstream requests %d (emulator %d), want %d", s.UpstreamRequests, emu.Stats().TokenRequests, n)
	}
	rec.checkWindow(t, rate)
	if m := up.max.Load(); m > conc || s.MaxUpstreamInFlight > conc {
		t.Errorf("upstream concurrency reached %d (broker says %d), limit %d", m, s.MaxUpstreamInFlight, conc)
	}
	if s.ThrottledWaits < n-rate {
		t.Errorf("throttled waits %d; at least %d requests had to wait for the rate", s.ThrottledWaits, n-rate)
	}
	if s.UpstreamRate != rate || s.UpstreamConcurrency != conc {
		t.Errorf("stats limits %d/%d", s.UpstreamRate, s.UpstreamConcurrency)
	}
}
