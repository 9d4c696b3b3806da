package entra

import "time"

// Clock is the time source of the issuer and the projector; the method set
// matches the fake clocks the tests use. nil means the wall clock.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type wallClock struct{}

func (wallClock) Now() time.Time                         { return time.Now() }
func (wallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func orWall(c Clock) Clock {
	if c == nil {
		return wallClock{}
	}
	return c
}
