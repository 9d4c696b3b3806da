package identity

import (
	"fmt"
	"time"
)

// Waiting for an endpoint that is not up yet (Options.WaitReady).
//
// Off Azure, a refused connection means "no managed identity here" and the
// credential answers ErrUnavailable at once. But a local agent (the Arc
// himds service, an AKS pod-identity sidecar, an emulator started next to
// the program) can refuse connections for a few seconds while it starts.
// With WaitReady the caller says how long such a start may take: refused or
// unreachable dials are retried with short, growing waits (50 ms doubling to
// 1 s) until the endpoint answers or WaitReady has passed since the
// acquisition began; then the usual ErrUnavailable comes, saying how long
// it waited. Answers from the endpoint (errors included) follow the normal
// retry policy.

const (
	readyFirstDelay = 50 * time.Millisecond
	readyMaxDelay   = time.Second
)

// readyDelay says how long to wait before dialing again after the n-th
// (1-based) connection failure of an acquisition that began at start, or
// ok=false once WaitReady (or the retry budget) leaves no room.
func (c *Credential) readyDelay(start time.Time, n int) (time.Duration, bool) {
	if c.waitReady <= 0 {
		return 0, false
	}
	now := c.clock.Now()
	left := start.Add(c.waitReady).Sub(now)
	if left <= 0 {
		return 0, false
	}
	d := readyMaxDelay
	if n < 16 {
		d = min(readyFirstDelay<<(n-1), readyMaxDelay)
	}
	d = min(d, left)
	if now.Add(d).After(start.Add(c.budget)) {
		return 0, false
	}
	return d, true
}

// waitedNote is added to the unavailable message when the caller asked to
// wait, so "not up after 5s" is not mistaken for "not tried".
func (c *Credential) waitedNote() string {
	if c.waitReady <= 0 {
		return ""
	}
	return fmt.Sprintf(" after waiting %s for it to come up (Options.WaitReady)", c.waitReady)
}
