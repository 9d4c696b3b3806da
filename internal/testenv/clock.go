package testenv

import (
	"sync"
	"time"
)

// FakeClock is a test clock that moves only when told, so tests never depend
// on wall-clock time. It has the method set of identity.Clock (Now, After)
// without importing identity, plus Advance/Set to move it.
//
// A manual clock (NewFakeClock) fires an After channel once Advance or Set
// reaches its deadline; an auto clock (NewAutoClock) jumps forward by d inside
// After and fires at once, so retry loops run instantly. Both record every
// duration passed to After (Waits).
type FakeClock struct {
	mu     sync.Mutex
	start  time.Time
	now    time.Time
	auto   bool
	waits  []time.Duration
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

// NewFakeClock returns a manual clock reading start.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{start: start, now: start} }

// NewAutoClock returns a clock reading start whose After advances it at once.
func NewAutoClock(start time.Time) *FakeClock {
	return &FakeClock{start: start, now: start, auto: true}
}

// Now returns the clock's current time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives the clock's time once d has passed
// on it; d <= 0 fires at once, as with time.After.
func (c *FakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	ch := make(chan time.Time, 1) // buffered: firing never blocks the clock
	switch {
	case c.auto:
		if d > 0 {
			c.now = c.now.Add(d)
		}
		ch <- c.now
	case d <= 0:
		ch <- c.now
	default:
		c.timers = append(c.timers, fakeTimer{c.now.Add(d), ch})
	}
	return ch
}

// Advance moves the clock by d (which may be negative) and fires every
// pending After whose deadline it reached.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(c.now.Add(d))
}

// Set moves the clock to t and fires every pending After whose deadline it
// reached.
func (c *FakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(t)
}

func (c *FakeClock) setLocked(t time.Time) {
	c.now = t
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if !tm.at.After(c.now) {
			tm.ch <- c.now
		} else {
			kept = append(kept, tm)
		}
	}
	c.timers = kept
}

// Waits returns every duration passed to After, in order.
func (c *FakeClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

// Elapsed is how far the clock has moved since it was created.
func (c *FakeClock) Elapsed() time.Duration { return c.Now().Sub(c.start) }
