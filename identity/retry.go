package identity

import (
	"math"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/azmsi/azmsi/internal/azhttp"
)

// retryPolicy says which failures a source retries and how long it waits.
// It is pure: the retry loop (send) asks it for a decision after each
// failed attempt and does the waiting through the credential's clock.
type retryPolicy struct {
	retryStatus func(code int) bool // statuses worth another attempt
	maxRetries  int                 // retries of retryStatus codes (except 410) and of broken connections; untilBudget: only the retry budget bounds them
	baseDelay   time.Duration       // n-th retry waits baseDelay·(2^n−1), jittered
	maxDelay    time.Duration       // cap for one backoff wait
	goneDelay   time.Duration       // wait between 410 retries; 410 is retried until the budget ends
	connRetries int                 // retries after a failed dial (refused, unreachable) — keep tiny to fail fast
	connDelay   time.Duration       // wait before such a retry
	jitter      func() float64      // uniform in [0,1); nil → math/rand/v2
}

// connRetryDelay is the wait before the one retry of a refused or
// unroutable dial. A refused connection to a local endpoint (IMDS's
// link-local address, a loopback token service) is almost always definitive,
// so the retry only covers a listener caught mid-restart, and the wait is
// kept short: off Azure, "unavailable" arrives after this plus two dials
// (the target is under 50 ms). Endpoints that are still starting
// use Options.WaitReady instead.
const connRetryDelay = 10 * time.Millisecond

// untilBudget as retryPolicy.maxRetries: retry for as long as the
// credential's retry budget (Options.RetryBudget) lasts.
const untilBudget = math.MaxInt

// minRetryWait is the shortest wait between attempts, whatever a
// Retry-After says: with retries bounded only by the budget, a
// "Retry-After: 0" would otherwise be a busy loop against the endpoint.
const minRetryWait = 100 * time.Millisecond

// imdsRetryPolicy follows Microsoft's IMDS guidance (protocols.md §3.4):
// 404, 410, 429 and 5xx are retried with exponential backoff (≈2, 6, 14, 25,
// 25… s), 410 every ~10 s (the service promises to be back within 70 s),
// other 4xx never. The retry budget, not a count, ends the retries (the
// issue's contract: "the whole budget is an option"): the default 90 s gives
// the guidance's five or so retries, a larger budget proportionally more. A
// refused or unroutable connection is retried once after connRetryDelay, so
// off Azure the answer comes in about 10 ms.
func imdsRetryPolicy() retryPolicy {
	return retryPolicy{
		retryStatus: func(code int) bool {
			return code == http.StatusNotFound || code == http.StatusGone || code == http.StatusTooManyRequests || code >= 500 && code <= 599
		},
		maxRetries:  untilBudget,
		baseDelay:   2 * time.Second,
		maxDelay:    25 * time.Second, // the guidance's cap; 2+6+14+25+25 s of waits fit the default 90 s budget
		goneDelay:   10 * time.Second,
		connRetries: 1,
		connDelay:   connRetryDelay,
	}
}

// statusDelay decides whether to retry after a response with status code,
// the failures-th failure of this acquisition (1-based, counting only
// non-410 failures). ok=false means give up now.
func (p retryPolicy) statusDelay(code, failures int, h http.Header, now time.Time) (time.Duration, bool) {
	if p.retryStatus == nil || !p.retryStatus(code) {
		return 0, false
	}
	if ra, ok := azhttp.RetryAfter(h, now, maxRetryAfter); ok {
		if code != http.StatusGone && failures > p.maxRetries {
			return 0, false
		}
		return max(ra, minRetryWait), true
	}
	if code == http.StatusGone && p.goneDelay > 0 {
		return p.jittered(p.goneDelay), true
	}
	if failures > p.maxRetries {
		return 0, false
	}
	return p.backoff(failures), true
}

// errorDelay decides whether to retry after a transport error that happened
// once connected (reset, EOF): treated like a transient 5xx.
func (p retryPolicy) errorDelay(failures int) (time.Duration, bool) {
	if failures > p.maxRetries {
		return 0, false
	}
	return p.backoff(failures), true
}

// backoff is baseDelay·(2^n−1), capped at maxDelay, times a jitter in [0.8,1.2).
func (p retryPolicy) backoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	d := p.maxDelay
	if n < 30 {
		if e := p.baseDelay * time.Duration(1<<n-1); e > 0 && e < p.maxDelay {
			d = e
		}
	}
	return p.jittered(d)
}

func (p retryPolicy) jittered(d time.Duration) time.Duration {
	r := p.jitter
	if r == nil {
		r = rand.Float64
	}
	return time.Duration(float64(d) * (0.8 + 0.4*r()))
}

// maxRetryAfter bounds a server-requested wait (read by azhttp.RetryAfter:
// retry-after-ms, x-ms-retry-after-ms, then Retry-After); the retry budget
// bounds it further.
const maxRetryAfter = 10 * time.Minute
