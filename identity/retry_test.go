package identity

import (
	"net/http"
	"testing"
	"time"
)

// statusDelay honours the server's delay headers (read by azhttp, capped at
// 10 min, floored at 100 ms) and falls back to the backoff without one.
func TestStatusDelayRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := imdsRetryPolicy()
	p.jitter = func() float64 { return 0.5 } // factor 1: the first backoff is exactly 2 s
	const backoff = 2 * time.Second
	tests := []struct {
		h    map[string]string
		want time.Duration
	}{
		{map[string]string{"Retry-After": "7"}, 7 * time.Second},
		{map[string]string{"Retry-After": "1.5"}, 1500 * time.Millisecond},
		{map[string]string{"Retry-After": now.Add(12 * time.Second).Format(http.TimeFormat)}, 12 * time.Second},
		{map[string]string{"Retry-After": now.Add(-time.Minute).Format(http.TimeFormat)}, 100 * time.Millisecond},
		{map[string]string{"Retry-After": "99999"}, 10 * time.Minute},
		{map[string]string{"Retry-After": "-3"}, backoff},
		{map[string]string{"Retry-After": "soon"}, backoff},
		{map[string]string{"retry-after-ms": "1500", "Retry-After": "9"}, 1500 * time.Millisecond},
		{map[string]string{"x-ms-retry-after-ms": "250"}, 250 * time.Millisecond},
		{map[string]string{}, backoff},
	}
	for _, tt := range tests {
		h := http.Header{}
		for k, v := range tt.h {
			h.Set(k, v)
		}
		if got, ok := p.statusDelay(429, 1, h, now); !ok || got != tt.want {
			t.Errorf("statusDelay(429, %v) = %v, %v; want %v, true", tt.h, got, ok, tt.want)
		}
	}
}

func TestIMDSRetryPolicy(t *testing.T) {
	p := imdsRetryPolicy()
	p.jitter = func() float64 { return 0.5 } // factor 1.0
	now := time.Now()
	for _, code := range []int{400, 401, 403, 405, 409, 200} {
		if _, ok := p.statusDelay(code, 1, http.Header{}, now); ok {
			t.Errorf("status %d retried", code)
		}
	}
	want := []time.Duration{2 * time.Second, 6 * time.Second, 14 * time.Second, 25 * time.Second, 25 * time.Second}
	for _, code := range []int{404, 429, 500, 503, 599} {
		for i, w := range want {
			d, ok := p.statusDelay(code, i+1, http.Header{}, now)
			if !ok || d != w {
				t.Errorf("status %d failure %d: %v, %v; want %v", code, i+1, d, ok, w)
			}
		}
		// No retry count: the budget, checked by the loop, ends the retries
		// (TestRetriesBoundedByBudget); later waits stay at the 25 s cap.
		if d, ok := p.statusDelay(code, 100, http.Header{}, now); !ok || d != 25*time.Second {
			t.Errorf("status %d failure 100: %v, %v; want 25s", code, d, ok)
		}
	}
	// 410 ignores the retry count: the budget bounds it.
	if d, ok := p.statusDelay(410, 100, http.Header{}, now); !ok || d != 10*time.Second {
		t.Errorf("410: %v, %v", d, ok)
	}
	h := http.Header{"Retry-After": {"3"}}
	if d, ok := p.statusDelay(429, 1, h, now); !ok || d != 3*time.Second {
		t.Errorf("429 with Retry-After: %v, %v", d, ok)
	}
	// "Retry-After: 0" must not turn the budget-bound loop into a busy loop.
	if d, ok := p.statusDelay(503, 1, http.Header{"Retry-After": {"0"}}, now); !ok || d != 100*time.Millisecond {
		t.Errorf("503 with Retry-After 0: %v, %v; want 100ms", d, ok)
	}
	// jitter stays within [0.8, 1.2)
	for _, j := range []float64{0, 0.999} {
		p.jitter = func() float64 { return j }
		d := p.backoff(1)
		if d < 1600*time.Millisecond || d >= 2400*time.Millisecond {
			t.Errorf("jitter %v: backoff(1) = %v", j, d)
		}
	}
}

// The local token services keep a retry count (MSAL's and azidentity's
// behaviour), unlike IMDS whose budget alone bounds the retries.
func TestHostRetryPoliciesCountRetries(t *testing.T) {
	now := time.Now()
	for name, p := range map[string]retryPolicy{"host": hostRetryPolicy(), "servicefabric": serviceFabricRetryPolicy()} {
		if _, ok := p.statusDelay(503, p.maxRetries, http.Header{}, now); !ok {
			t.Errorf("%s: retry %d refused", name, p.maxRetries)
		}
		if _, ok := p.statusDelay(503, p.maxRetries+1, http.Header{}, now); ok {
			t.Errorf("%s: retried beyond maxRetries (%d)", name, p.maxRetries)
		}
		if _, ok := p.errorDelay(p.maxRetries + 1); ok {
			t.Errorf("%s: broken connection retried beyond maxRetries (%d)", name, p.maxRetries)
		}
	}
}
