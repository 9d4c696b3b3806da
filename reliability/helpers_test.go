package reliability

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/azmsi/azmsi/arm"
	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/testenv"
)

// Identities of the emulator's default configuration.
const (
	sub1          = "00000000-0000-0000-0000-000000000001"
	sub2          = "00000000-0000-0000-0000-000000000002"
	contributorID = "22222222-2222-2222-2222-222222222222"
	readerID      = "33333333-3333-3333-3333-333333333333"
	armResource   = "https://management.azure.com/"
)

// sharedClock is one fake time for both sides: the emulator reads Now (its
// windows, token expiry, delete deadlines) and the clients wait with After,
// which moves time forward. A real pause per wait (realPause) lets the
// emulator's own pollers notice; 0 makes waits instant.
type sharedClock struct {
	mu        sync.Mutex
	t         time.Time
	realPause time.Duration
}

func newSharedClock(realPause time.Duration) *sharedClock {
	return &sharedClock{t: time.Now().UTC().Truncate(time.Second), realPause: realPause}
}

func (c *sharedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *sharedClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *sharedClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	if c.realPause > 0 {
		time.Sleep(min(d, c.realPause))
	}
	c.Advance(d)
	ch <- c.Now()
	return ch
}

// armClock is an arm.Options.Clock whose waits end at once, advancing the
// shared clock (if any) by their length without the real pause; Now stays
// the wall clock.
type armClock struct{ shared *sharedClock }

func (armClock) Now() time.Time { return time.Now() }

func (a armClock) After(d time.Duration) <-chan time.Time {
	if a.shared != nil {
		a.shared.Advance(d)
	}
	ch := make(chan time.Time, 1)
	ch <- time.Now()
	return ch
}

// startEmulator starts an in-process emulator closed with the test.
func startEmulator(t testing.TB, o emulator.Options) *emulator.Server {
	t.Helper()
	s, err := emulator.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("emulator.Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newCredential is an identity credential against s's IMDS, loopback only.
func newCredential(t testing.TB, s *emulator.Server, o identity.Options) *identity.Credential {
	t.Helper()
	o.Endpoint = s.IMDSEndpoint()
	if o.HTTPClient == nil {
		o.HTTPClient = testenv.LoopbackOnlyClient(nil)
	}
	o.Getenv = func(string) string { return "" }
	c, err := identity.New(o)
	if err != nil {
		t.Fatalf("identity.New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// newARMClient is an ARM client for s acting as the identity of cred, with
// waits replaced by clock advances (clock may be nil: no waits at all).
func newARMClient(t testing.TB, s *emulator.Server, cred arm.TokenCredential, clock *sharedClock, maxRetries int) *arm.Client {
	t.Helper()
	c, err := arm.New(arm.Options{
		Credential: cred,
		Endpoint:   s.ARMEndpoint(),
		HTTPClient: s.HTTPClient(),
		MaxRetries: maxRetries,
		Clock:      armClock{clock},
		Getenv:     func(string) string { return "" },
	})
	if err != nil {
		t.Fatalf("arm.New: %v", err)
	}
	return c
}

// emulatorToken is a TokenCredential that fetches straight from the
// emulator's IMDS (no identity cache), for ARM tests that fault only ARM.
func emulatorToken(t testing.TB, s *emulator.Server, clientID string) arm.TokenCredential {
	cred := newCredential(t, s, identity.Options{ID: identity.ClientID(clientID)})
	return arm.FromIdentity(cred)
}
