package resources

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"testing"
	"time"
)

// fill stores n tracked resources in one subscription (spread over 100
// groups, two tags each) through the store's commit path.
func fill(tb testing.TB, st *Store, n int) {
	tb.Helper()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st.mu.Lock()
	defer st.mu.Unlock()
	batch := make([]*Record, 0, 1000)
	for i := range n {
		id := fmt.Sprintf("/subscriptions/%s/resourceGroups/rg%02d/providers/Contoso.Widgets/widgets/widget-%06d", sub1, i%100, i)
		batch = append(batch, &Record{ID: id, Type: "Contoso.Widgets/widgets", Location: "eastus",
			Tags: map[string]string{"env": "dev", "n": fmt.Sprint(i % 10)}, Properties: []byte(`{"size":1}`),
			State: "Succeeded", Listed: true, CreatedAt: at, ChangedAt: at, CreatedBy: "c", CreatedByType: "Application", ChangedBy: "c", ChangedByType: "Application"})
		if len(batch) == cap(batch) || i == n-1 {
			if err := st.commitLocked(batch, nil); err != nil {
				tb.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

func heapMB() float64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// BenchmarkList100k lists a subscription of 100,000 generic resources page
// by page (100 per page) through the handler, on all GOMAXPROCS cores, and
// reports the heap the store holds (target: ≤ 200 MB, ≥ 5,000 pages/s on
// 2 cores; bench/ measures the same over HTTPS).
func BenchmarkList100k(b *testing.B) {
	before := heapMB()
	st, _ := NewStore(nil)
	fill(b, st, 100_000)
	heap := heapMB() - before
	e := newEnvWithStore(&testing.T{}, st, func(o *Options) { o.Authz = allowAll{} })
	// The continuation tokens of every page, so parallel workers can ask
	// for any page.
	var paths []string
	path := "/subscriptions/" + sub1 + "/resources?api-version=2025-04-01"
	for path != "" && len(paths) < 1000 {
		paths = append(paths, path)
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "http://arm.test"+path, nil)
		r.Header.Set("Authorization", "Bearer "+owner)
		e.svc.ServeHTTP(w, r)
		var page struct {
			NextLink string `json:"nextLink"`
		}
		if json.Unmarshal(w.Body.Bytes(), &page) != nil || page.NextLink == "" {
			break
		}
		u, _ := url.Parse(page.NextLink)
		path = u.RequestURI()
	}
	if len(paths) != 1000 {
		b.Fatalf("%d pages, want 1000", len(paths))
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := &discardWriter{h: http.Header{}}
		i := 0
		for pb.Next() {
			r := httptest.NewRequest("GET", "http://arm.test"+paths[i%len(paths)], nil)
			r.Header.Set("Authorization", "Bearer "+owner)
			clear(w.h)
			e.svc.ServeHTTP(w, r)
			if w.status != 200 {
				b.Fatalf("status %d", w.status)
			}
			i += 7
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
	b.ReportMetric(heap, "heap-MB")
}

// allowAll is an Authorizer as cheap as a real one that finds a
// subscription-wide grant.
type allowAll struct{}

func (allowAll) Allowed(string, string, string) bool { return true }

type discardWriter struct {
	h      http.Header
	status int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(s int)           { d.status = s }
func (d *discardWriter) Write(p []byte) (int, error) { return io.Discard.Write(p) }

// TestHeapOf100k keeps the memory target honest in every test run: a
// store of 100,000 resources stays well under 200 MB (a size, not a time).
func TestHeapOf100k(t *testing.T) {
	before := heapMB()
	st, _ := NewStore(nil)
	fill(t, st, 100_000)
	mb := heapMB() - before
	t.Logf("100,000 resources: %.0f MB of heap", mb)
	if mb > 200 {
		t.Fatalf("100,000 resources take %.0f MB of heap; the target is ≤ 200 MB", mb)
	}
	runtime.KeepAlive(st)
}
