package azhttp

import (
	"math"
	"net/http"
	"strings"
	"time"
)

// The headers a server uses to ask for a delay, in order of precedence
// (azcore reads them in the same order): the two millisecond headers that
// Azure services add, then the standard Retry-After.
const (
	HeaderRetryAfterMs    = "retry-after-ms"
	HeaderXMsRetryAfterMs = "x-ms-retry-after-ms"
	HeaderRetryAfter      = "Retry-After"
)

// HasRetryAfter reports whether h carries any of the three delay headers,
// usable or not: a server that sends one says it did not take the request.
func HasRetryAfter(h http.Header) bool {
	return h.Get(HeaderRetryAfterMs) != "" || h.Get(HeaderXMsRetryAfterMs) != "" || h.Get(HeaderRetryAfter) != ""
}

// RetryAfter reads the delay a server asked for.
//
// retry-after-ms and x-ms-retry-after-ms are milliseconds, Retry-After is
// seconds or an HTTP date (RFC 9110 §10.2.3). The first header with a usable
// value wins; one that is malformed is skipped, so the next can still count.
// A number is digits with an optional decimal fraction ("1500", "1.5"); signs,
// exponents, hex and NaN are malformed. A date in the past means 0, and 0 is
// a valid answer (callers that must not spin impose their own floor).
//
// The result is capped at limit (limit <= 0: no cap; the duration saturates
// instead of overflowing). ok is false when no header has a usable value.
func RetryAfter(h http.Header, now time.Time, limit time.Duration) (d time.Duration, ok bool) {
	for _, name := range [...]string{HeaderRetryAfterMs, HeaderXMsRetryAfterMs} {
		if d, ok := parseDecimal(h.Get(name), time.Millisecond); ok {
			return capAt(d, limit), true
		}
	}
	v := strings.TrimSpace(h.Get(HeaderRetryAfter))
	if v == "" {
		return 0, false
	}
	if d, ok := parseDecimal(v, time.Second); ok {
		return capAt(d, limit), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return capAt(max(t.Sub(now), 0), limit), true
	}
	return 0, false
}

// parseDecimal reads "digits[.digits]" (surrounding spaces allowed) as a
// count of unit. It works on the digits themselves, not through a float, so
// "0.001" seconds is exactly one millisecond and huge values saturate.
func parseDecimal(s string, unit time.Duration) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && frac == "") || !allDigits(whole) || !allDigits(frac) {
		return 0, false
	}
	const limit = time.Duration(math.MaxInt64)
	var d time.Duration
	for _, c := range []byte(whole) {
		digit := time.Duration(c - '0')
		if d > (limit-digit)/10 {
			return limit, true
		}
		d = d*10 + digit
	}
	if d > limit/unit {
		return limit, true
	}
	d *= unit
	// The fraction adds unit·0.f; digits below a nanosecond are dropped.
	scale := unit
	for i := 0; i < len(frac) && scale > 1; i++ {
		scale /= 10
		add := time.Duration(frac[i]-'0') * scale
		if d > limit-add {
			return limit, true
		}
		d += add
	}
	return d, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func capAt(d, limit time.Duration) time.Duration {
	if limit > 0 && d > limit {
		return limit
	}
	return d
}
