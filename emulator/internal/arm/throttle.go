package arm

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// throttler is a token bucket per identity, modelled loosely on ARM's
// per-principal buckets (protocols §12.4): capacity = budget requests,
// refilled continuously at budget/10 per second (an empty bucket is full
// again after 10 s). budget 0 disables throttling. Time comes from the
// server's clock, so tests drive it with a fake clock.
type throttler struct {
	budget int
	mu     sync.Mutex
	bucket map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// legacyRemaining is reported in x-ms-ratelimit-remaining-* when throttling
// is off (the legacy hourly read limit minus one).
const legacyRemaining = 11999

func newThrottler(budget int) *throttler {
	return &throttler{budget: budget, bucket: map[string]*bucket{}}
}

func (t *throttler) reset() {
	t.mu.Lock()
	t.bucket = map[string]*bucket{}
	t.mu.Unlock()
}

// take spends one token for key. It returns the tokens left, or ok=false
// and how long until one is available.
func (t *throttler) take(key string, now time.Time) (remaining int, retryAfter time.Duration, ok bool) {
	if t.budget <= 0 {
		return legacyRemaining, 0, true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	rate := float64(t.budget) / 10 // tokens per second
	b := t.bucket[key]
	if b == nil {
		b = &bucket{tokens: float64(t.budget), last: now}
		t.bucket[key] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(float64(t.budget), b.tokens+el*rate)
		b.last = now
	}
	if b.tokens < 1 {
		wait := time.Duration((1 - b.tokens) / rate * float64(time.Second))
		return 0, wait, false
	}
	b.tokens--
	return int(b.tokens), 0, true
}

// admit applies throttling and sets the rate-limit header; on refusal it
// has written the 429.
func (a *Service) admit(req *Request) bool {
	key := "anonymous"
	if req.ident != nil {
		key = req.ident.ObjectID
	} else if req.tok != nil {
		if oid, _ := req.tok.Claims["oid"].(string); oid != "" {
			key = oid
		}
	}
	remaining, wait, ok := a.throttle.take(key, a.now())
	if ok {
		req.header().Set(rateHeader(req.r.Method), strconv.Itoa(remaining))
		return true
	}
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	req.header().Set("Retry-After", strconv.Itoa(secs))
	req.fail(http.StatusTooManyRequests, "TooManyRequests", fmt.Sprintf(
		"The request is being throttled as the limit has been reached for operation type - %s. Please retry after %d second(s). (Emulator budget: %d requests per identity, refilled at %g per second.)",
		opType(req.r.Method), secs, a.throttle.budget, float64(a.throttle.budget)/10))
	return false
}

func opType(method string) string {
	switch method {
	case http.MethodPut, http.MethodPatch, http.MethodPost:
		return "Write"
	case http.MethodDelete:
		return "Delete"
	}
	return "Read"
}
