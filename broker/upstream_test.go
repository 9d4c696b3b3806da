package broker

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/testenv"
)

// Upstream error answers reach the client with their status, error and
// error_description.
func TestUpstreamErrorPassThrough(t *testing.T) {
	emu := startEmulator(t, emulator.Options{})
	b := startBroker(t, emu.IMDSEndpoint(), Options{})
	q := url.Values{"api-version": {"2018-02-01"}, "resource": {armResource}, "client_id": {"44444444-4444-4444-4444-444444444444"}}
	status, body := get(t, testenv.LoopbackOnlyClient(nil), tokenURL(b.url, q), meta())
	if status != 400 || body["error"] != "invalid_request" || body["error_description"] != "Identity not found" {
		t.Errorf("got %d %v; want the emulator's 400 invalid_request / Identity not found", status, body)
	}
	if s := b.Stats(); s.Errors != 1 || s.UpstreamFailures != 1 {
		t.Errorf("errors %d, upstream failures %d", s.Errors, s.UpstreamFailures)
	}
}

// When upstream goes away, tokens still valid in the cache keep being
// served; a token never fetched gets 503 service_unavailable.
func TestUpstreamDownServesCachedTokens(t *testing.T) {
	emu := startEmulator(t, emulator.Options{})
	b := startBroker(t, emu.IMDSEndpoint(), Options{})
	ctx := context.Background()
	first, err := client(t, b.url, identity.ClientID(contributorID)).Token(ctx, armResource)
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := client(t, b.url, identity.ClientID(contributorID)).Token(ctx, armResource)
	if err != nil {
		t.Fatalf("upstream down, cached token not served: %v", err)
	}
	if again.AccessToken != first.AccessToken {
		t.Error("a different token while upstream is down")
	}
	q := url.Values{"api-version": {"2018-02-01"}, "resource": {vaultResource}}
	status, body := get(t, testenv.LoopbackOnlyClient(nil), tokenURL(b.url, q), meta())
	if status != 503 || body["error"] != "service_unavailable" || !strings.Contains(body["error_description"].(string), "unavailable") {
		t.Errorf("uncached token with upstream down: %d %v", status, body)
	}
}

// The refresher renews a token ahead of its RefreshOn without any client
// asking; clients then get the new token from the cache. A failed refresh
// (upstream down) leaves the cached token in service.
func TestProactiveRefresh(t *testing.T) {
	start := time.Now()
	clk := testenv.NewFakeClock(start)
	emu := startEmulator(t, emulator.Options{Clock: clk})
	b := startBroker(t, emu.IMDSEndpoint(), Options{Upstream: identity.Options{Clock: clk}})
	hc := testenv.LoopbackOnlyClient(nil)
	q := url.Values{"api-version": {"2018-02-01"}, "resource": {armResource}}
	fetch := func() map[string]any {
		t.Helper()
		status, body := get(t, hc, tokenURL(b.url, q), meta())
		if status != 200 {
			t.Fatalf("%d %v", status, body)
		}
		return body
	}
	tok1 := fetch()["access_token"]
	s := b.Stats()
	if s.UpstreamRequests != 1 || len(s.Tokens) != 1 {
		t.Fatalf("stats %+v", s)
	}
	refreshOn := s.Tokens[0].RefreshOn
	if got := s.Tokens[0].NextRefresh; !got.Equal(refreshOn.Add(-DefaultRefreshAhead)) {
		t.Errorf("next refresh %v, want RefreshAhead before RefreshOn %v", got, refreshOn)
	}

	// Just before the refresh is due: nothing happens.
	clk.Advance(refreshOn.Add(-DefaultRefreshAhead - time.Second).Sub(clk.Now()))
	time.Sleep(50 * time.Millisecond)
	if n := b.Stats().Refreshes; n != 0 {
		t.Fatalf("refreshed %d times before due", n)
	}
	// Close to expiry so the emulator mints a new token (it reuses its own
	// until 5 minutes before expiry), still usable for clients.
	exp := s.Tokens[0].ExpiresOn
	clk.Advance(exp.Add(-4 * time.Minute).Sub(clk.Now()))
	eventually(t, "a proactive refresh", nil, func() bool { return b.Stats().Refreshes == 1 })
	s = b.Stats()
	if s.UpstreamRequests != 2 || !s.Tokens[0].ExpiresOn.After(exp) {
		t.Fatalf("after refresh: upstream %d, expires %v (was %v)", s.UpstreamRequests, s.Tokens[0].ExpiresOn, exp)
	}
	tok2 := fetch()["access_token"]
	if tok2 == tok1 {
		t.Error("clients still get the old token after the refresh")
	}
	if s2 := b.Stats(); s2.UpstreamRequests != 2 || s2.CacheHits != 1 {
		t.Errorf("the client waited on upstream: upstream %d, cache hits %d", s2.UpstreamRequests, s2.CacheHits)
	}

	// Upstream down when the next refresh is due: it fails, clients keep
	// the cached token.
	if err := emu.Close(); err != nil {
		t.Fatal(err)
	}
	clk.Advance(b.Stats().Tokens[0].NextRefresh.Sub(clk.Now()))
	eventually(t, "a failed refresh", func() { clk.Advance(100 * time.Millisecond) }, func() bool { return b.Stats().RefreshFailures >= 1 })
	if got := fetch()["access_token"]; got != tok2 {
		t.Error("the cached token was not served after a failed refresh")
	}
	ts := b.Stats().Tokens[0]
	if ts.RefreshFailures < 1 || ts.LastRefreshError == "" || !ts.NextRefresh.After(clk.Now()) {
		t.Errorf("after a failed refresh: %+v", ts)
	}
}

// Stats are served at /_broker/stats and hold no token.
func TestStatsRoute(t *testing.T) {
	emu := startEmulator(t, emulator.Options{})
	b := startBroker(t, emu.IMDSEndpoint(), Options{})
	tok, err := client(t, b.url, identity.ID{}).Token(context.Background(), armResource)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, b.url+StatsPath, nil)
	req.Header.Set("Metadata", "true")
	resp, err := testenv.LoopbackOnlyClient(nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw strings.Builder
	var s Stats
	if err := jsonDecode(resp.Body, &raw, &s); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, err)
	}
	if strings.Contains(raw.String(), tok.AccessToken[:20]) {
		t.Fatal("stats contain a token")
	}
	if s.ClientsServed != 1 || s.UpstreamRequests != 1 || len(s.Tokens) != 1 || s.Tokens[0].Identity != "system-assigned" || s.Upstream != emu.IMDSEndpoint() {
		t.Errorf("stats %+v", s)
	}
	status, _ := get(t, testenv.LoopbackOnlyClient(nil), b.url+StatsPath, http.Header{})
	if status != 400 {
		t.Errorf("stats without Metadata: %d", status)
	}
}

func TestNewErrors(t *testing.T) {
	for _, o := range []Options{
		{UpstreamRate: -1},
		{Upstream: identity.Options{Endpoint: "ftp://x"}},
		{AllowIdentities: []string{"/subscriptions/nope"}},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
	b, err := New(Options{Upstream: identity.Options{Endpoint: "http://127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	_ = b.Close()
	_ = b.Close()
	if _, err := b.acquire(identity.ClientID(contributorID)); !errors.Is(err, ErrClosed) {
		t.Errorf("closed broker: %v", err)
	}
}
