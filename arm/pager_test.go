package arm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// pagedSubs serves total subscriptions, per per page, with absolute
// nextLinks built by link(skip).
func pagedSubs(total, per int, link func(r *http.Request, skip int) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/subscriptions" || r.URL.Query().Get("api-version") != SubscriptionsAPIVersion {
			armError(w, 400, "Bad", r.URL.String())
			return
		}
		skip, _ := strconv.Atoi(r.URL.Query().Get("$skiptoken"))
		var items []string
		for i := skip; i < skip+per && i < total; i++ {
			items = append(items, fmt.Sprintf(`{"id":"/subscriptions/s%d","subscriptionId":"s%d","state":"Enabled"}`, i, i))
		}
		next := ""
		if skip+per < total {
			next = link(r, skip+per)
		}
		writeJSON(w, 200, `{"value":[`+strings.Join(items, ",")+`],"nextLink":"`+next+`"}`)
	}
}

func TestPagingTenThousand(t *testing.T) {
	var e *testEnv
	var requests atomic.Int32
	h := pagedSubs(10000, 100, func(r *http.Request, skip int) string {
		requests.Add(1)
		return fmt.Sprintf("%s/subscriptions?api-version=%s&%%24skiptoken=%d", e.srv.URL, SubscriptionsAPIVersion, skip)
	})
	e = newTLSEnv(t, h, nil)
	seen := map[string]bool{}
	for s, err := range e.c.Subscriptions(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		if seen[s.SubscriptionID] {
			t.Fatalf("duplicate %s", s.SubscriptionID)
		}
		seen[s.SubscriptionID] = true
	}
	if len(seen) != 10000 || requests.Load() != 99 {
		t.Fatalf("got %d items over %d nextLinks", len(seen), requests.Load())
	}
}

func TestPagerNextPageAndEmptyList(t *testing.T) {
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"value":[]}`)
	}), nil)
	p := e.c.SubscriptionPages()
	if !p.More() {
		t.Fatal("More false before first page")
	}
	items, err := p.NextPage(context.Background())
	if err != nil || len(items) != 0 || p.More() {
		t.Fatalf("%v %v more=%v", items, err, p.More())
	}
	if _, err := p.NextPage(context.Background()); err == nil {
		t.Fatal("NextPage after the end should fail")
	}
}

func TestPagerLoopDetected(t *testing.T) {
	var e *testEnv
	var n atomic.Int32
	e = newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		// page 1 → page 2 → page 1 again
		next := e.srv.URL + "/subscriptions?api-version=2022-12-01&p=2"
		if r.URL.Query().Get("p") == "2" {
			next = e.srv.URL + "/subscriptions?api-version=2022-12-01"
		}
		writeJSON(w, 200, `{"value":[{"subscriptionId":"x`+r.URL.Query().Get("p")+`"}],"nextLink":"`+next+`"}`)
	}), nil)
	var got []string
	var lastErr error
	// A pager that missed the loop would go on for ever: stop after 10 items,
	// and after 30s whatever happens, and say so.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for s, err := range e.c.Subscriptions(ctx) {
		if err != nil {
			lastErr = err
			break
		}
		got = append(got, s.SubscriptionID)
		if len(got) > 10 {
			t.Fatalf("the pager is still following the repeated nextLink after %d items (%d requests)", len(got), n.Load())
		}
	}
	if ctx.Err() != nil {
		t.Fatalf("the pager did not stop on the repeated nextLink within 30s: items %v, err %v, requests %d", got, lastErr, n.Load())
	}
	if lastErr == nil || !strings.Contains(lastErr.Error(), "a second time") || len(got) != 2 || n.Load() != 2 {
		t.Fatalf("items %v err %v requests %d", got, lastErr, n.Load())
	}
}

func TestPagerNextLinkHosts(t *testing.T) {
	for _, tc := range []struct {
		name, next, wantErr string
		wantItems           int
	}{
		{"cloud host rewritten", "https://management.azure.com/subscriptions?api-version=2022-12-01&p=2", "", 2},
		{"foreign host", "https://evil.example.com/subscriptions?p=2", "refusing to send the token there", 1},
		{"downgrade", "http://management.azure.com/subscriptions?p=2", "refusing to send the token there", 1},
		{"garbage", "::not a url", "not an absolute URL", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Query().Get("p") == "2" {
					writeJSON(w, 200, `{"value":[{"subscriptionId":"b"}]}`)
					return
				}
				writeJSON(w, 200, `{"value":[{"subscriptionId":"a"}],"nextLink":"`+tc.next+`"}`)
			}), nil)
			items, err := e.c.SubscriptionPages().Collect(context.Background())
			if len(items) != tc.wantItems || (tc.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("items %v err %v", items, err)
			}
		})
	}
}

// A failed page is re-fetched from the same link: nothing lost or repeated.
func TestPagerRetryAfterFailureRefetchesSamePage(t *testing.T) {
	var e *testEnv
	var failed atomic.Bool
	inner := pagedSubs(250, 100, func(r *http.Request, skip int) string {
		return fmt.Sprintf("%s/subscriptions?api-version=%s&$skiptoken=%d", e.srv.URL, SubscriptionsAPIVersion, skip)
	})
	e = newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("$skiptoken") == "100" && !failed.Swap(true) {
			armError(w, 500, "InternalServerError", "transient")
			return
		}
		inner(w, r)
	}), func(o *Options) { o.MaxRetries = -1 })
	p := e.c.SubscriptionPages()
	ctx := context.Background()
	var all []Subscription
	errs := 0
	for p.More() {
		items, err := p.NextPage(ctx)
		if err != nil {
			errs++
			continue
		}
		all = append(all, items...)
	}
	if errs != 1 || len(all) != 250 || all[100].SubscriptionID != "s100" || all[249].SubscriptionID != "s249" {
		t.Fatalf("errs %d items %d", errs, len(all))
	}
}

func TestDoPagesRaw(t *testing.T) {
	var e *testEnv
	e = newHTTPEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "" {
			writeJSON(w, 200, `{"value":[{"n":1},{"n":2}],"nextLink":"`+e.srv.URL+`/things?page=2&api-version=9"}`)
			return
		}
		writeJSON(w, 200, `{"value":[{"n":3}],"nextLink":""}`)
	}), nil)
	var ns []int
	for raw, err := range e.c.DoPages(context.Background(), "/things", "9") {
		if err != nil {
			t.Fatal(err)
		}
		var v struct{ N int }
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		ns = append(ns, v.N)
	}
	if fmt.Sprint(ns) != "[1 2 3]" {
		t.Fatalf("%v", ns)
	}
	// A non-list body is a clear error.
	e2 := newHTTPEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `[1]`) }), nil)
	for _, err := range e2.c.DoPages(context.Background(), "/x", "1") {
		if err == nil || !strings.Contains(err.Error(), "not {\"value\"") {
			t.Fatalf("err %v", err)
		}
	}
	// Breaking out early is fine.
	for range e.c.DoPages(context.Background(), "/things", "9") {
		break
	}
}
