package identity

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
)

func TestTokenSHA256Hex(t *testing.T) {
	// protocols-2026 §23.2's vector, checked with sha256sum.
	if got := tokenSHA256Hex("test_token"); got != "cc0af97287543b65da2c7e1476426021826cab166f1e063ed012b855ff819656" {
		t.Fatalf("tokenSHA256Hex = %s", got)
	}
}

// cachingHost behaves like a managed-identity endpoint with its own token
// cache: every request gets the current token back, except one that names
// the current token's hash in token_sha256_to_refresh (and, on the
// versions that know the parameter, nothing else does).
type cachingHost struct {
	mu      sync.Mutex
	current string
	minted  int
	queries []url.Values
	refuse  string // an api-version answered 400 naming it
	mint    func(n int) string
}

func (h *cachingHost) answer(w http.ResponseWriter, r *http.Request, body func(tok string) string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	q := r.URL.Query()
	h.queries = append(h.queries, q)
	if h.refuse != "" && q.Get("api-version") == h.refuse {
		writeJSON(w, 400, `{"statusCode":400,"message":"The api-version '`+h.refuse+`' is not supported."}`)
		return
	}
	if h.current == "" || (q.Get("token_sha256_to_refresh") == tokenSHA256Hex(h.current) && q.Get("xms_cc") == "cp1") {
		h.minted++
		h.current = fmt.Sprintf("host-token-%d", h.minted)
		if h.mint != nil {
			h.current = h.mint(h.minted)
		}
	}
	writeJSON(w, 200, body(h.current))
}

func (h *cachingHost) seen() []url.Values {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]url.Values(nil), h.queries...)
}

// TestRevocationServiceFabric: a forced refresh gets the host's cached
// token back; a claims challenge replaces exactly that token; a stale
// RejectedToken is answered from the cache.
func TestRevocationServiceFabric(t *testing.T) {
	h := &cachingHost{}
	srv, thumb, _ := fakeSF(t, func(w http.ResponseWriter, r *http.Request, n int) { h.answer(w, r, sfBody) })
	c := newHostCred(t, sfEnv(srv, thumb), Options{})
	ctx := context.Background()
	tok := func(o TokenOptions) string {
		t.Helper()
		tk, err := c.TokenWithOptions(ctx, armRes, o)
		if err != nil {
			t.Fatal(err)
		}
		return tk.AccessToken
	}
	if got := tok(TokenOptions{}); got != "host-token-1" {
		t.Fatalf("first = %s", got)
	}
	if got := tok(TokenOptions{ForceRefresh: true}); got != "host-token-1" {
		t.Fatalf("forced refresh = %s (the host serves its cache)", got)
	}
	if got := tok(TokenOptions{Claims: `{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}`}); got != "host-token-2" {
		t.Fatalf("after a claims challenge = %s", got)
	}
	q := h.seen()
	if len(q) != 3 {
		t.Fatalf("%d requests", len(q))
	}
	if q[1].Has("xms_cc") || q[1].Has("token_sha256_to_refresh") {
		t.Fatalf("a plain forced refresh sent %v", q[1])
	}
	last := q[2]
	if last.Get("api-version") != "2020-05-01" || last.Get("xms_cc") != "cp1" || last.Get("token_sha256_to_refresh") != tokenSHA256Hex("host-token-1") || last.Has("claims") {
		t.Fatalf("revocation query = %v", last)
	}
	// Another caller still holding the old token: served from the cache.
	if got := tok(TokenOptions{RejectedToken: "host-token-1"}); got != "host-token-2" || len(h.seen()) != 3 {
		t.Fatalf("stale rejected token: %s after %d requests", got, len(h.seen()))
	}
	// The current token rejected: replaced.
	if got := tok(TokenOptions{RejectedToken: "host-token-2"}); got != "host-token-3" {
		t.Fatalf("rejected current token: %s", got)
	}
	if got := tok(TokenOptions{}); got != "host-token-3" {
		t.Fatalf("cache after replacement = %s", got)
	}
}

// TestRevocationConcurrentCallersShareOneRequest: callers rejecting the same
// token at once cause one revocation request.
func TestRevocationConcurrentCallersShareOneRequest(t *testing.T) {
	h := &cachingHost{}
	srv, thumb, _ := fakeSF(t, func(w http.ResponseWriter, r *http.Request, n int) { h.answer(w, r, sfBody) })
	c := newHostCred(t, sfEnv(srv, thumb), Options{})
	if _, err := c.Token(context.Background(), armRes); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk, err := c.TokenWithOptions(context.Background(), armRes, TokenOptions{RejectedToken: "host-token-1"})
			if err == nil && tk.AccessToken != "host-token-2" {
				err = fmt.Errorf("got %s", tk.AccessToken)
			}
			errs <- err
		}()
	}
	waitGroupWithin(t, &wg, "the revoking callers")
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(h.seen()); n != 2 {
		t.Fatalf("%d requests, want 2 (one plain, one revocation)", n)
	}
}

func TestRevocationAppService(t *testing.T) {
	env := func(url string) map[string]string {
		return map[string]string{"IDENTITY_ENDPOINT": url + "/msi/token", "IDENTITY_HEADER": "hdr"}
	}
	t.Run("2025-03-30 with the parameters", func(t *testing.T) {
		h := &cachingHost{mint: func(n int) string { return uamiJWT(map[string]any{"uti": fmt.Sprint("u", n)}) }}
		srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) { h.answer(w, r, appServiceBody) })
		c := newHostCred(t, env(srv.URL), Options{ID: ClientID(testCID)})
		ctx := context.Background()
		first, err := c.Token(ctx, armRes)
		if err != nil {
			t.Fatal(err)
		}
		tk, err := c.TokenWithOptions(ctx, armRes, TokenOptions{Claims: "e30="})
		if err != nil || tk.AccessToken != h.mint(2) {
			t.Fatalf("%v %v", tk.AccessToken, err)
		}
		q := h.seen()
		if q[0].Get("api-version") != "2019-08-01" || q[0].Has("xms_cc") {
			t.Fatalf("plain request %v", q[0])
		}
		if q[1].Get("api-version") != "2025-03-30" || q[1].Get("client_id") != testCID || q[1].Get("xms_cc") != "cp1" || q[1].Get("token_sha256_to_refresh") != tokenSHA256Hex(first.AccessToken) {
			t.Fatalf("revocation request %v", q[1])
		}
	})
	t.Run("a host refusing 2025-03-30 gets a plain request, from then on", func(t *testing.T) {
		h := &cachingHost{refuse: "2025-03-30"}
		srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) { h.answer(w, r, appServiceBody) })
		c := newHostCred(t, env(srv.URL), Options{})
		ctx := context.Background()
		for i := 0; i < 2; i++ {
			if _, err := c.TokenWithOptions(ctx, armRes, TokenOptions{Claims: "e30="}); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		for _, q := range h.seen() {
			got = append(got, q.Get("api-version")+":"+q.Get("xms_cc"))
		}
		if fmt.Sprint(got) != "[2025-03-30:cp1 2019-08-01: 2019-08-01:]" {
			t.Fatalf("requests = %v", got)
		}
	})
	t.Run("container apps sends no revocation parameters", func(t *testing.T) {
		h := &cachingHost{}
		srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) { h.answer(w, r, appServiceBody) })
		e := env(srv.URL)
		e["CONTAINER_APP_NAME"] = "app1"
		c := newHostCred(t, e, Options{})
		if c.Source().Host != HostContainerApps || c.Source().Name != "Container Apps" {
			t.Fatalf("source = %+v", c.Source())
		}
		ctx := context.Background()
		if _, err := c.Token(ctx, armRes); err != nil {
			t.Fatal(err)
		}
		if _, err := c.TokenWithOptions(ctx, armRes, TokenOptions{Claims: "e30="}); err != nil {
			t.Fatal(err)
		}
		q := h.seen()
		if len(q) != 2 || q[1].Get("api-version") != "2019-08-01" || q[1].Has("xms_cc") || q[1].Has("token_sha256_to_refresh") {
			t.Fatalf("requests = %v", q)
		}
	})
}

// TestRevocationIMDSIsAForcedRefresh: hosts without the parameters get a
// plain request that skips the cache.
func TestRevocationIMDSIsAForcedRefresh(t *testing.T) {
	srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, tokenBody(fmt.Sprint("imds-", n), armRes, 3600))
	})
	c := newTestCred(t, srv.URL, newFakeClock(true), Options{})
	ctx := context.Background()
	if _, err := c.Token(ctx, armRes); err != nil {
		t.Fatal(err)
	}
	tk, err := c.TokenWithOptions(ctx, armRes, TokenOptions{Claims: "e30="})
	if err != nil || tk.AccessToken != "imds-2" {
		t.Fatalf("%s %v", tk.AccessToken, err)
	}
	for _, s := range srv.Seen() {
		if q := s.Query; q.Has("xms_cc") || q.Has("token_sha256_to_refresh") {
			t.Fatalf("IMDS got %v", q)
		}
	}
}
