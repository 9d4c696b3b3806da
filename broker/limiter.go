package broker

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/azmsi/azmsi/identity"
)

// Upstream limits documented for the IMDS managed-identity category
// (protocols.md §3.5): 20 requests per second and 5 concurrent requests
// per VM.
const (
	DefaultUpstreamRate        = 20
	DefaultUpstreamConcurrency = 5
)

// hopHeader marks requests the broker sends upstream. A broker that
// receives one is talking to itself (its upstream endpoint points back at
// it) and refuses instead of looping.
const hopHeader = "X-Azmsi-Broker-Hop"

// limiter is an http.RoundTripper that keeps upstream traffic within rate
// starts per second and concurrency requests in flight, however many
// credentials share it.
//
// The rate limit is a sliding window (at most rate starts in any interval
// of one second), i.e. a token bucket of capacity rate whose tokens come
// back one second after they were taken. Unlike a classic bucket refilled
// continuously it can never let 2×rate through across a window edge, which
// matters because IMDS counts per second.
type limiter struct {
	base        http.RoundTripper
	rate        int
	concurrency chan struct{} // a slot per request in flight
	clock       identity.Clock

	mu     sync.Mutex
	starts []time.Time // ring of the last rate start times
	next   int         // index of the oldest entry in starts
	record func(time.Time)

	requests    atomic.Int64 // round trips started upstream
	failures    atomic.Int64 // transport errors and non-2xx answers
	throttled   atomic.Int64 // round trips that had to wait for a slot or the rate
	waitNanos   atomic.Int64 // total time spent waiting
	inFlight    atomic.Int64
	maxInFlight atomic.Int64
}

func newLimiter(base http.RoundTripper, rate, concurrency int, clock identity.Clock) *limiter {
	return &limiter{
		base:        base,
		rate:        rate,
		concurrency: make(chan struct{}, concurrency),
		clock:       clock,
		starts:      make([]time.Time, 0, rate),
	}
}

// RoundTrip waits for a concurrency slot and for the rate window, then
// sends req. The slot is held until the response body is closed, since
// the upstream is busy until it has sent the body.
func (l *limiter) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	t0 := l.clock.Now()
	waited := false
	select {
	case l.concurrency <- struct{}{}:
	default:
		waited = true
		select {
		case l.concurrency <- struct{}{}:
		case <-ctx.Done():
			l.countWait(t0)
			return nil, ctx.Err()
		}
	}
	release := sync.OnceFunc(func() {
		l.inFlight.Add(-1)
		<-l.concurrency
	})
	w, err := l.reserve(ctx)
	waited = waited || w
	if waited {
		l.countWait(t0)
	}
	if err != nil {
		<-l.concurrency
		return nil, err
	}
	n := l.inFlight.Add(1)
	for {
		m := l.maxInFlight.Load()
		if n <= m || l.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	l.requests.Add(1)
	r2 := req.Clone(ctx)
	r2.Header.Set(hopHeader, "1")
	resp, err := l.base.RoundTrip(r2)
	if err != nil {
		l.failures.Add(1)
		release()
		return nil, err
	}
	if resp.StatusCode >= 300 {
		l.failures.Add(1)
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

func (l *limiter) countWait(t0 time.Time) {
	l.throttled.Add(1)
	l.waitNanos.Add(int64(l.clock.Now().Sub(t0)))
}

// reserve takes a start in the sliding window, waiting until the oldest of
// the last rate starts is one second old. waited reports a wait.
func (l *limiter) reserve(ctx context.Context) (waited bool, err error) {
	for {
		l.mu.Lock()
		now := l.clock.Now()
		if len(l.starts) < l.rate {
			l.starts = append(l.starts, now)
			l.noteStart(now)
			l.mu.Unlock()
			return waited, nil
		}
		free := l.starts[l.next].Add(time.Second)
		if !now.Before(free) {
			l.starts[l.next] = now
			l.next = (l.next + 1) % l.rate
			l.noteStart(now)
			l.mu.Unlock()
			return waited, nil
		}
		l.mu.Unlock()
		waited = true
		select {
		case <-l.clock.After(free.Sub(now)):
		case <-ctx.Done():
			return waited, ctx.Err()
		}
	}
}

// noteStart feeds the test hook; l.mu is held, so calls are ordered.
func (l *limiter) noteStart(t time.Time) {
	if l.record != nil {
		l.record(t)
	}
}

// releasingBody frees the concurrency slot once, when the body is closed
// (or fully read: the identity client reads to EOF and then closes).
type releasingBody struct {
	io.ReadCloser
	release func()
}

func (b *releasingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) {
		b.release()
	}
	return n, err
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}
