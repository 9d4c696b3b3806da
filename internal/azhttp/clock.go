package azhttp

import (
	"context"
	"time"
)

// Clock is the time seam of every azmsi client: Now and After behave as
// time.Now and time.After. Tests pass a fake (internal/testenv.FakeClock) to
// drive expiry, retries and polls without sleeping.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Sleep waits d on clock, or until ctx is done. It returns nil only when the
// whole wait passed with ctx still live, otherwise ctx.Err(): a caller never
// starts another attempt on a context that ended during the wait, even when
// the timer and the cancellation arrive together. Every wait, 0 included,
// goes through clock.After, so that a test clock sees each one (a server's
// "Retry-After: 0" is a wait of 0, not a missing wait).
func Sleep(ctx context.Context, clock Clock, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-clock.After(d):
	}
	return ctx.Err()
}
