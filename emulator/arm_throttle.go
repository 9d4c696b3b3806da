package emulator

import "sync"

// throttler is a per-identity token bucket (filled in arm_throttle.go).
type throttler struct {
	budget int
	mu     sync.Mutex
}

func newThrottler(budget int) *throttler { return &throttler{budget: budget} }

func (t *throttler) reset() {}
