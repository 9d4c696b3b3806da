package azhttp

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/testenv"
)

func TestSleep(t *testing.T) {
	start := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

	t.Run("waits on the clock", func(t *testing.T) {
		clk := testenv.NewAutoClock(start)
		if err := Sleep(context.Background(), clk, 3*time.Second); err != nil {
			t.Fatal(err)
		}
		if got := clk.Elapsed(); got != 3*time.Second {
			t.Fatalf("elapsed %v, want 3s", got)
		}
	})
	t.Run("zero is a wait the clock sees", func(t *testing.T) {
		clk := testenv.NewFakeClock(start) // manual: After(0) must fire without Advance
		if err := Sleep(context.Background(), clk, 0); err != nil {
			t.Fatal(err)
		}
		if w := clk.Waits(); len(w) != 1 || w[0] != 0 || clk.Elapsed() != 0 {
			t.Fatalf("waits %v elapsed %v", w, clk.Elapsed())
		}
	})
	t.Run("ended context does not wait", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		clk := testenv.NewAutoClock(start)
		if err := Sleep(ctx, clk, time.Hour); !errors.Is(err, context.Canceled) || len(clk.Waits()) != 0 {
			t.Fatalf("err %v waits %v", err, clk.Waits())
		}
	})
	t.Run("cancel during the wait", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		clk := testenv.NewFakeClock(start) // never advanced: only cancel can end the wait
		done := make(chan error, 1)
		go func() { done <- Sleep(ctx, clk, time.Hour) }()
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Sleep did not return within 10s of its context being cancelled")
		}
	})
	t.Run("timer and cancel together report the cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		clk := cancellingClock{cancel}
		if err := Sleep(ctx, clk, time.Second); !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("real clock", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := Sleep(ctx, RealClock{}, time.Hour); !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
		if err := Sleep(context.Background(), RealClock{}, time.Nanosecond); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(RealClock{}.Now()); d < 0 || d > time.Hour {
			t.Fatalf("RealClock.Now is %v away from time.Now", d)
		}
	})
}

// cancellingClock fires at once and cancels the context in the same call,
// so both select cases are ready.
type cancellingClock struct{ cancel context.CancelFunc }

func (cancellingClock) Now() time.Time { return time.Time{} }
func (c cancellingClock) After(time.Duration) <-chan time.Time {
	c.cancel()
	ch := make(chan time.Time, 1)
	ch <- time.Time{}
	return ch
}
