package testenv

import (
	"slices"
	"testing"
	"time"
)

var clockStart = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func fired(ch <-chan time.Time) (time.Time, bool) {
	select {
	case t := <-ch:
		return t, true
	default:
		return time.Time{}, false
	}
}

func TestFakeClockManual(t *testing.T) {
	c := NewFakeClock(clockStart)
	if !c.Now().Equal(clockStart) {
		t.Fatalf("Now = %v, want %v", c.Now(), clockStart)
	}
	now := c.After(0)
	if at, ok := fired(now); !ok || !at.Equal(clockStart) {
		t.Fatalf("After(0) fired=%v at %v, want at once at start", ok, at)
	}
	a := c.After(10 * time.Second)
	b := c.After(20 * time.Second)
	c.Advance(9 * time.Second)
	if _, ok := fired(a); ok {
		t.Fatal("After(10s) fired after 9s")
	}
	c.Advance(time.Second)
	if at, ok := fired(a); !ok || !at.Equal(clockStart.Add(10*time.Second)) {
		t.Fatalf("After(10s) fired=%v at %v after 10s", ok, at)
	}
	if _, ok := fired(b); ok {
		t.Fatal("After(20s) fired after 10s")
	}
	c.Set(clockStart.Add(time.Minute))
	if at, ok := fired(b); !ok || !at.Equal(clockStart.Add(time.Minute)) {
		t.Fatalf("After(20s) fired=%v at %v after Set(+1m)", ok, at)
	}
	c.Advance(-time.Hour)
	if got, want := c.Now(), clockStart.Add(-59*time.Minute); !got.Equal(want) {
		t.Fatalf("Now after Advance(-1h) = %v, want %v", got, want)
	}
	if got, want := c.Elapsed(), -59*time.Minute; got != want {
		t.Fatalf("Elapsed = %v, want %v", got, want)
	}
	if got, want := c.Waits(), []time.Duration{0, 10 * time.Second, 20 * time.Second}; !slices.Equal(got, want) {
		t.Fatalf("Waits = %v, want %v", got, want)
	}
}

func TestFakeClockAuto(t *testing.T) {
	c := NewAutoClock(clockStart)
	if at, ok := fired(c.After(3 * time.Second)); !ok || !at.Equal(clockStart.Add(3*time.Second)) {
		t.Fatalf("auto After(3s) fired=%v at %v, want at once at start+3s", ok, at)
	}
	if at, ok := fired(c.After(-time.Second)); !ok || !at.Equal(clockStart.Add(3*time.Second)) {
		t.Fatalf("auto After(-1s) fired=%v at %v, want at once without moving", ok, at)
	}
	if got := c.Elapsed(); got != 3*time.Second {
		t.Fatalf("Elapsed = %v, want 3s", got)
	}
	w := c.Waits()
	w[0] = 0 // Waits hands out a copy
	if got, want := c.Waits(), []time.Duration{3 * time.Second, -time.Second}; !slices.Equal(got, want) {
		t.Fatalf("Waits = %v, want %v", got, want)
	}
}

// A waiter blocked on a manual clock is released by Advance from another
// goroutine; run with -race.
func TestFakeClockConcurrent(t *testing.T) {
	c := NewFakeClock(clockStart)
	ch := c.After(time.Minute)
	done := make(chan time.Time)
	go func() { done <- <-ch }()
	c.Advance(time.Minute)
	if at := <-done; !at.Equal(clockStart.Add(time.Minute)) {
		t.Fatalf("waiter woke at %v", at)
	}
}
