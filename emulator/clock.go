package emulator

import "time"

// Clock is the emulator's time seam. It has the shape of the clients'
// clock (internal/azhttp.Clock: Now and After as time.Now and time.After),
// so one fake clock drives a test's clients and its emulator; it is
// declared here because the emulator shares no code with the clients.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// wallClock is the real time.
type wallClock struct{}

func (wallClock) Now() time.Time                         { return time.Now() }
func (wallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
