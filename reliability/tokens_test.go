package reliability

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
)

// mixedIdentityFaults is 30 % of IMDS token requests failing, in every way
// the injector knows except those a client must not accept: a token for
// another identity, an endpoint that stays down, and a non-JSON (HTML)
// answer, which the credential deliberately reports as "this is not IMDS"
// (ErrUnavailable) instead of retrying.
const mixedIdentityFaults = "imds:500=0.09,imds:503=0.06,imds:429=0.05,imds:404=0.04,imds:reset=0.03,imds:truncate=0.03"

// faultSeed is the seed of a fault-injection test: $AZMSI_FAULT_SEED when
// set (to reproduce a failure), else a fresh random one, logged either way.
func faultSeed(t *testing.T) uint64 {
	t.Helper()
	seed := rand.Uint64()
	if v := os.Getenv("AZMSI_FAULT_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("AZMSI_FAULT_SEED=%q: want an unsigned integer", v)
		}
	}
	t.Logf("fault seed %d (reproduce the faults with AZMSI_FAULT_SEED=%d)", seed, seed)
	return seed
}

// With 30 % mixed faults, every one of many acquisitions succeeds within
// its retry budget. Clocks are fake on both sides (shared), so retry waits
// take no real time; each acquisition is forced to the endpoint.
//
// The seed is random on every run (faultSeed), so the test must not depend
// on a lucky one. Every injected fault is one the credential retries, and
// each request is faulted independently with p = 0.3. With a 10 min budget
// the IMDS retries are bounded by time alone: even with the longest jitter
// (×1.2) and no Retry-After (429 and 503 carry 1 s, which only adds
// attempts), the waits 2.4, 7.2, 16.8, then 30 s each leave room for 22
// retries, so an acquisition fails only if 23 requests in a row are
// faulted: p ≤ 0.3^23 ≈ 1e-12, ≤ 1e-9 for the 900 acquisitions of a run.
// (With the default 90 s budget, ≥ 6 attempts, it would be 0.3^6 ≈ 7e-4
// per acquisition — about one failed run in two.)
func TestTokensSurviveMixedFaults(t *testing.T) {
	const acquisitions = 300
	base := faultSeed(t)
	for i := range uint64(3) {
		seed := base + i // wraps harmlessly
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			clk := newSharedClock(0)
			s := startEmulator(t, emulator.Options{ARMAddr: "-", Clock: clk,
				Faults: emulator.MustParseFaults(fmt.Sprintf("%s,seed=%d", mixedIdentityFaults, seed))})
			budget := 10 * time.Minute
			for i := range acquisitions {
				// Alternate between one long-lived credential (forced
				// refreshes) and fresh ones, and among identity selectors.
				id := []identity.ID{{}, identity.ClientID(contributorID), identity.ClientID(readerID)}[i%3]
				cred := newCredential(t, s, identity.Options{ID: id, Clock: clk, RetryBudget: budget})
				start := clk.Now()
				tok, err := cred.TokenWithOptions(context.Background(), armResource, identity.TokenOptions{ForceRefresh: true})
				if err != nil {
					t.Fatalf("acquisition %d: %v", i, err)
				}
				if took := clk.Now().Sub(start); took > budget {
					t.Fatalf("acquisition %d took %s of its %s budget", i, took, budget)
				}
				if tok.AccessToken == "" {
					t.Fatalf("acquisition %d: empty token", i)
				}
				_ = cred.Close()
			}
			st := s.Stats()
			var injected int64
			for k, n := range st.Faults {
				if strings.HasPrefix(k, "imds:") {
					injected += n
				}
			}
			if injected < acquisitions/5 {
				t.Fatalf("only %d faults injected: %v", injected, st.Faults)
			}
			t.Logf("seed %d: %d acquisitions, %d token requests, %d faults injected %v, 0 failed", seed, acquisitions, st.TokenRequests, injected, st.Faults)
		})
	}
}

// A 70 s "upgrade in progress" (410) window is ridden out: the credential
// keeps retrying on the shared fake clock and gets its token once the window
// closes, within the default 90 s budget.
func TestTokens410WindowRiddenOut(t *testing.T) {
	clk := newSharedClock(0)
	s := startEmulator(t, emulator.Options{ARMAddr: "-", Clock: clk, Faults: emulator.MustParseFaults("imds:410window=70s,seed=1")})
	cred := newCredential(t, s, identity.Options{Clock: clk})
	start := clk.Now()
	tok, err := cred.Token(context.Background(), armResource)
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	took := clk.Now().Sub(start)
	if took < 70*time.Second || took > 90*time.Second || tok.AccessToken == "" {
		t.Fatalf("took %s (want 70..90s)", took)
	}
	if n := s.Stats().Faults["imds:410window"]; n < 5 {
		t.Fatalf("only %d 410s", n)
	}
	t.Logf("410 window of 70s ridden out after %s of fake time, %d 410 answers", took, s.Stats().Faults["imds:410window"])
}

// An IMDS that starts listening 3 s after the emulator is waited for when
// the caller sets WaitReady, and reported unavailable quickly (at the
// WaitReady bound, or at once without it) when it stays down.
func TestWaitReadyForSlowEndpoint(t *testing.T) {
	t.Run("comes up", func(t *testing.T) {
		clk := newSharedClock(20 * time.Millisecond)
		s := startEmulator(t, emulator.Options{ARMAddr: "-", Clock: clk, Faults: emulator.MustParseFaults("imds:down=3s")})
		cred := newCredential(t, s, identity.Options{Clock: clk, WaitReady: 10 * time.Second})
		start := clk.Now()
		if _, err := cred.Token(context.Background(), armResource); err != nil {
			t.Fatalf("Token: %v", err)
		}
		if took := clk.Now().Sub(start); took < 3*time.Second || took > 10*time.Second {
			t.Errorf("ready after %s of clock time", took)
		}
	})
	t.Run("stays down", func(t *testing.T) {
		clk := newSharedClock(20 * time.Millisecond)
		s := startEmulator(t, emulator.Options{ARMAddr: "-", Clock: clk, Faults: emulator.MustParseFaults("imds:down=1h")})
		cred := newCredential(t, s, identity.Options{Clock: clk, WaitReady: 2 * time.Second})
		start := clk.Now()
		_, err := cred.Token(context.Background(), armResource)
		if !errors.Is(err, identity.ErrUnavailable) || !strings.Contains(err.Error(), "after waiting 2s") {
			t.Fatalf("err = %v, want ErrUnavailable after waiting 2s", err)
		}
		if took := clk.Now().Sub(start); took != 2*time.Second {
			t.Errorf("gave up after %s, want the 2s bound", took)
		}
		// Without WaitReady: at once (one 50 ms retry).
		fast := newCredential(t, s, identity.Options{Clock: clk})
		start = clk.Now()
		if _, err := fast.Token(context.Background(), armResource); !errors.Is(err, identity.ErrUnavailable) {
			t.Fatalf("err = %v", err)
		}
		if took := clk.Now().Sub(start); took > 100*time.Millisecond {
			t.Errorf("fail-fast took %s", took)
		}
	})
}

// A token for the wrong identity is refused, never handed to the caller.
func TestWrongIdentityRefused(t *testing.T) {
	s := startEmulator(t, emulator.Options{ARMAddr: "-", Faults: emulator.MustParseFaults("imds:wrongid=1,seed=1")})
	cred := newCredential(t, s, identity.Options{ID: identity.ClientID(contributorID), RetryBudget: time.Second})
	tok, err := cred.Token(context.Background(), armResource)
	if err == nil {
		t.Fatalf("accepted a token for another identity: %v", tok)
	}
	if !strings.Contains(err.Error(), contributorID) {
		t.Errorf("error does not name the identity asked for: %v", err)
	}
}
