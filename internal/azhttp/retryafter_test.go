package azhttp

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	in10s := "Tue, 02 Jan 2024 03:04:15 GMT"
	for _, tc := range []struct {
		name  string
		h     http.Header
		limit time.Duration
		want  time.Duration
		ok    bool
	}{
		{"none", http.Header{}, 5 * time.Minute, 0, false},
		{"zero", http.Header{"Retry-After": {"0"}}, 5 * time.Minute, 0, true},
		{"seconds", http.Header{"Retry-After": {"42"}}, 5 * time.Minute, 42 * time.Second, true},
		{"spaces", http.Header{"Retry-After": {"  7 "}}, 5 * time.Minute, 7 * time.Second, true},
		{"decimal seconds", http.Header{"Retry-After": {"1.5"}}, 5 * time.Minute, 1500 * time.Millisecond, true},
		{"one millisecond exactly", http.Header{"Retry-After": {"0.001"}}, 5 * time.Minute, time.Millisecond, true},
		{"sub-nanosecond digits dropped", http.Header{"Retry-After": {"0.0000000019"}}, time.Minute, time.Nanosecond, true},
		{"capped at 5m", http.Header{"Retry-After": {"99999"}}, 5 * time.Minute, 5 * time.Minute, true},
		{"capped at 10m", http.Header{"Retry-After": {"99999"}}, 10 * time.Minute, 10 * time.Minute, true},
		{"no cap saturates", http.Header{"Retry-After": {"99999999999999999999999"}}, 0, time.Duration(math.MaxInt64), true},
		{"exponent", http.Header{"Retry-After": {"1e3"}}, time.Minute, 0, false},
		{"huge exponent", http.Header{"Retry-After": {"1e400"}}, time.Minute, 0, false},
		{"negative", http.Header{"Retry-After": {"-3"}}, time.Minute, 0, false},
		{"plus sign", http.Header{"Retry-After": {"+3"}}, time.Minute, 0, false},
		{"leading dot", http.Header{"Retry-After": {".5"}}, time.Minute, 0, false},
		{"trailing dot", http.Header{"Retry-After": {"5."}}, time.Minute, 0, false},
		{"hex", http.Header{"Retry-After": {"0x10"}}, time.Minute, 0, false},
		{"NaN", http.Header{"Retry-After": {"NaN"}}, time.Minute, 0, false},
		{"word", http.Header{"Retry-After": {"soon"}}, time.Minute, 0, false},
		{"date ahead", http.Header{"Retry-After": {in10s}}, time.Minute, 10 * time.Second, true},
		{"date ahead capped", http.Header{"Retry-After": {in10s}}, 3 * time.Second, 3 * time.Second, true},
		{"date past", http.Header{"Retry-After": {"Tue, 02 Jan 2024 02:04:05 GMT"}}, time.Minute, 0, true},
		{"ms wins over seconds", http.Header{"Retry-After-Ms": {"250"}, "Retry-After": {"9"}}, time.Minute, 250 * time.Millisecond, true},
		{"ms before x-ms", http.Header{"Retry-After-Ms": {"250"}, "X-Ms-Retry-After-Ms": {"900"}}, time.Minute, 250 * time.Millisecond, true},
		{"x-ms ms", http.Header{"X-Ms-Retry-After-Ms": {"1200"}}, time.Minute, 1200 * time.Millisecond, true},
		{"decimal ms", http.Header{"Retry-After-Ms": {"1.25"}}, time.Minute, 1250 * time.Microsecond, true},
		{"ms capped", http.Header{"Retry-After-Ms": {"700000"}}, 10 * time.Minute, 10 * time.Minute, true},
		{"bad ms falls through", http.Header{"X-Ms-Retry-After-Ms": {"bad"}, "Retry-After": {"2"}}, time.Minute, 2 * time.Second, true},
		{"negative ms falls through", http.Header{"Retry-After-Ms": {"-1"}, "Retry-After": {"3"}}, time.Minute, 3 * time.Second, true},
		{"ms header is not a date", http.Header{"Retry-After-Ms": {in10s}}, time.Minute, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := RetryAfter(tc.h, now, tc.limit)
			if got != tc.want || ok != tc.ok {
				t.Errorf("RetryAfter(%v, limit %v) = %v, %v; want %v, %v", tc.h, tc.limit, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestHasRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		h    http.Header
		want bool
	}{
		{http.Header{}, false},
		{http.Header{"Retry-After": {"soon"}}, true},
		{http.Header{"Retry-After-Ms": {"1"}}, true},
		{http.Header{"X-Ms-Retry-After-Ms": {"1"}}, true},
		{http.Header{"X-Retry-After": {"1"}}, false},
	} {
		if got := HasRetryAfter(tc.h); got != tc.want {
			t.Errorf("HasRetryAfter(%v) = %v", tc.h, got)
		}
	}
}

// FuzzRetryAfter checks that no header value panics, that an answer is never
// negative nor above the limit, and that a well-formed number agrees with a
// float reading of it to within a microsecond.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"0", "42", "1.5", "0.001", "99999999999999999999", "-1", "1e3", "Tue, 02 Jan 2024 03:04:15 GMT", "NaN", " 7 ", "1.", "\x00"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	const limit = 10 * time.Minute
	f.Fuzz(func(t *testing.T, v string, ms bool) {
		h, unit := http.Header{"Retry-After": {v}}, time.Second
		if ms {
			h, unit = http.Header{"Retry-After-Ms": {v}}, time.Millisecond
		}
		d, ok := RetryAfter(h, now, limit)
		if !ok {
			if d != 0 {
				t.Fatalf("%q: not ok but %v", v, d)
			}
			return
		}
		if d < 0 || d > limit {
			t.Fatalf("%q: %v outside [0, %v]", v, d, limit)
		}
		s := strings.TrimSpace(v)
		if s == "" || strings.ContainsAny(s, "eEpPxX_+-nN") {
			return // a date (or a form ParseFloat reads and the parser refuses)
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return
		}
		want := limit
		if ns := f * float64(unit); ns < float64(limit) {
			want = time.Duration(ns)
		}
		if diff := d - want; diff > time.Microsecond || diff < -time.Microsecond {
			t.Fatalf("%q: %v, float reading %v", v, d, want)
		}
	})
}
