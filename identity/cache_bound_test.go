package identity

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/testenv"
)

// inProcessIMDS answers token requests without any network: answer maps a
// resource to a status and an access token. It counts requests.
type inProcessIMDS struct {
	count  atomic.Int64
	answer func(resource string) (status int, accessToken string)
}

func (f *inProcessIMDS) client() *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		f.count.Add(1)
		res := r.URL.Query().Get("resource")
		status, tok := f.answer(res)
		body := `{"error":"invalid_resource","error_description":"no such resource"}`
		if status == http.StatusOK {
			body = tokenBody(tok, res, 86400)
		}
		return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	})}
}

func newInProcessCred(t testing.TB, f *inProcessIMDS, clock Clock) *Credential {
	t.Helper()
	c, err := New(Options{Endpoint: "http://127.0.0.1:1", HTTPClient: f.client(), Clock: clock, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// checkCacheAccounting recomputes count and bytes from the shard maps.
func checkCacheAccounting(t *testing.T, c *Credential) (count int, bytes int64) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.cache.shards {
		if m := c.cache.shards[i].Load(); m != nil {
			for _, e := range *m {
				count++
				bytes += entrySize(e)
			}
		}
	}
	if count != c.cache.count || bytes != c.cache.bytes {
		t.Fatalf("cache says %d entries / %d bytes, the shards hold %d / %d", c.cache.count, c.cache.bytes, count, bytes)
	}
	return count, bytes
}

// Thousands of distinct resources: the cache stays within 1,024 entries,
// keeps the recently used ones, and an insert copies one shard, not the
// whole cache (the previous copy-on-write map copied every entry on every
// insert: quadratic in the number of resources).
func TestCacheBoundedByEntries(t *testing.T) {
	f := &inProcessIMDS{answer: func(res string) (int, string) { return 200, "tok-" + res }}
	clock := newFakeClock(false)
	c := newInProcessCred(t, f, clock)
	ctx := context.Background()
	const n = 5000
	if _, err := c.Token(ctx, "https://hot"); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if i%100 == 0 {
			clock.Advance(time.Second)
			if _, err := c.Token(ctx, "https://hot"); err != nil { // a hit: keeps it recently used
				t.Fatal(err)
			}
		}
		if _, err := c.Token(ctx, fmt.Sprintf("https://r%d", i)); err != nil {
			t.Fatal(err)
		}
		if c.cache.count > 1024 {
			t.Fatalf("after %d resources the cache holds %d entries, over 1024", i+1, c.cache.count)
		}
	}
	count, _ := checkCacheAccounting(t, c)
	if count < 1024-1024/8 {
		t.Errorf("cache holds %d entries after %d resources; eviction went below 7/8 of 1024", count, n)
	}
	if copied := c.cache.copied; copied > 64*(n+1) {
		t.Errorf("inserting %d resources copied %d map slots (%.0f per insert); an insert must copy one shard only", n+1, copied, float64(copied)/(n+1))
	}
	before := f.count.Load()
	if _, err := c.Token(ctx, "https://hot"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Token(ctx, fmt.Sprintf("https://r%d", n-1)); err != nil {
		t.Fatal(err)
	}
	if got := f.count.Load(); got != before {
		t.Errorf("the hot and the newest resource were evicted (%d new requests)", got-before)
	}
	if c.lookup("https://r0") != nil {
		t.Error("the oldest unused resource is still cached")
	}
	if tok, err := c.Token(ctx, "https://r0"); err != nil || tok.AccessToken != "tok-https://r0" || f.count.Load() != before+1 {
		t.Errorf("evicted resource: %v, %v after %d requests; want one new fetch", tok, err, f.count.Load()-before)
	}
}

// Large tokens: the cache stays within 4 MiB.
func TestCacheBoundedByBytes(t *testing.T) {
	big := strings.Repeat("a", 200_000)
	f := &inProcessIMDS{answer: func(res string) (int, string) { return 200, big }}
	c := newInProcessCred(t, f, newFakeClock(true))
	for i := range 100 {
		tok, err := c.Token(context.Background(), fmt.Sprintf("https://big%d", i))
		if err != nil || tok.AccessToken != big {
			t.Fatalf("token %d: %v", i, err)
		}
		if c.cache.bytes > 4<<20 {
			t.Fatalf("after %d tokens of 200 KB the cache holds %d bytes, over 4 MiB", i+1, c.cache.bytes)
		}
	}
	count, bytes := checkCacheAccounting(t, c)
	if count < 15 || count > 20 {
		t.Errorf("%d tokens of 200 KB cached (%d bytes); want 15..20 within 4 MiB", count, bytes)
	}
}

// A token larger than the whole byte bound is returned but not cached.
func TestCacheOversizedTokenNotKept(t *testing.T) {
	f := &inProcessIMDS{answer: func(res string) (int, string) { return 200, strings.Repeat("b", 1000) }}
	c := newInProcessCred(t, f, newFakeClock(true))
	c.cache.maxBytes = 800
	for range 2 {
		if tok, err := c.Token(context.Background(), "https://huge"); err != nil || len(tok.AccessToken) != 1000 {
			t.Fatalf("Token = %v, %v", tok, err)
		}
	}
	if n := f.count.Load(); n != 2 {
		t.Errorf("%d requests; a token over the byte bound must not be cached", n)
	}
	if count, bytes := checkCacheAccounting(t, c); count != 0 || bytes != 0 {
		t.Errorf("cache holds %d entries / %d bytes", count, bytes)
	}
}

// Least recently used entries go first; a hit counts as a use.
func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	f := &inProcessIMDS{answer: func(res string) (int, string) { return 200, "t" }}
	clock := newFakeClock(false)
	c := newInProcessCred(t, f, clock)
	c.cache.maxEntries = 8
	ctx := context.Background()
	for _, r := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		if _, err := c.Token(ctx, "https://"+r); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Second)
	if _, err := c.Token(ctx, "https://a"); err != nil { // hit
		t.Fatal(err)
	}
	if _, err := c.Token(ctx, "https://i"); err != nil { // 9 > 8: evict down to 7
		t.Fatal(err)
	}
	var kept []string
	for _, r := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"} {
		if c.lookup("https://"+r) != nil {
			kept = append(kept, r)
		}
	}
	if got := strings.Join(kept, ","); got != "a,d,e,f,g,h,i" {
		t.Errorf("kept %s, want a,d,e,f,g,h,i (b and c least recently used)", got)
	}
	checkCacheAccounting(t, c)
}

// A resource whose fetch failed is not kept, however many there are; an
// expired token whose refetch fails is dropped too.
func TestCacheDropsFailedResources(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	f := &inProcessIMDS{answer: func(res string) (int, string) {
		if fail.Load() || strings.HasPrefix(res, "https://bad") {
			return 400, ""
		}
		return 200, "t"
	}}
	clock := newFakeClock(true)
	c := newInProcessCred(t, f, clock)
	ctx := context.Background()
	for i := range 3000 {
		r := fmt.Sprintf("https://bad%d", i)
		if _, err := c.Token(ctx, r); err == nil {
			t.Fatalf("%s: no error", r)
		}
		if c.lookup(r) != nil || c.cache.count != 0 {
			t.Fatalf("failed resource %s kept (%d entries)", r, c.cache.count)
		}
	}
	fail.Store(false)
	if _, err := c.Token(ctx, "https://ok"); err != nil {
		t.Fatal(err)
	}
	fail.Store(true)
	clock.Advance(24 * time.Hour) // expired
	if _, err := c.Token(ctx, "https://ok"); err == nil {
		t.Fatal("expired token served")
	}
	if c.lookup("https://ok") != nil {
		t.Error("a resource whose token expired and whose refetch failed is kept")
	}
	if count, _ := checkCacheAccounting(t, c); count != 0 {
		t.Errorf("%d entries left", count)
	}
}

// Inserting distinct resources into a full cache: constant cost per insert
// (it grew linearly with the cache before).
func BenchmarkCacheInsert(b *testing.B) {
	c, err := New(Options{Endpoint: "http://127.0.0.1:1", HTTPClient: testenv.LoopbackOnlyClient(nil), Getenv: func(string) string { return "" }})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	keys := make([]string, 4096)
	for i := range keys {
		keys[i] = fmt.Sprintf("https://resource-%d.example", i)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.entryFor(keys[i%len(keys)])
	}
}
