package entra

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/testenv"
)

func newProjector(t *testing.T) (*Projector, *testenv.FakeClock, *Issuer) {
	t.Helper()
	clock := testenv.NewFakeClock(t0)
	iss, err := NewIssuer(issuerURL, clock)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewProjector(ProjectorOptions{
		Issuer: iss, Path: filepath.Join(t.TempDir(), "tokens", "azure-identity-token"),
		ServiceAccount: workloadSA, Clock: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, clock, iss
}

func readToken(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// claimsOf parses a projected token without verifying it.
func claimsOf(t *testing.T, raw string) *assertion {
	t.Helper()
	a, err := parseAssertion(raw)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// settled reports that the loop armed its timer after the last SetFaults.
func (p *Projector) settled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.armed == p.gen
}

func (p *Projector) wakeCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.wakes
}

// waitFor waits until cond holds; the bound only turns a hang into a
// failure.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}

// waitArmed waits until the rotation loop has asked the clock for its
// n-th timer, i.e. it finished the previous step. The bound only turns a
// hang into a failure; nothing is timed.
func waitArmed(t *testing.T, c *testenv.FakeClock, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(c.Waits()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the rotation loop armed %d timers, want %d", len(c.Waits()), n)
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

func TestProjectorWritesAtomicallyWith0600(t *testing.T) {
	p, _, _ := newProjector(t)
	if err := p.Write(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	di, _ := os.Stat(filepath.Dir(p.Path()))
	if di.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v, want 0700", di.Mode().Perm())
	}
	if err := p.Write(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(p.Path()))
	if len(entries) != 1 || entries[0].Name() != "azure-identity-token" {
		t.Errorf("folder holds %v; temporary files must be renamed away", entries)
	}
	if a := claimsOf(t, readToken(t, p.Path())); a.Subject != "system:serviceaccount:default:workload-sa" || !a.Expiry.Equal(t0.Add(time.Hour)) {
		t.Errorf("token sub %q exp %v", a.Subject, a.Expiry)
	}
	if _, _, n := p.Written(); n != 2 {
		t.Errorf("writes %d, want 2", n)
	}
}

func TestProjectorRotatesAt80Percent(t *testing.T) {
	p, clock, _ := newProjector(t)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	first := readToken(t, p.Path())
	waitArmed(t, clock, 1)
	if w := clock.Waits()[0]; w != 48*time.Minute {
		t.Fatalf("first rotation in %v, want 48m (80%% of 1h)", w)
	}
	clock.Advance(47 * time.Minute)
	if _, _, n := p.Written(); n != 1 {
		t.Fatalf("rewritten before 80%%: %d writes", n)
	}
	clock.Advance(time.Minute)
	waitArmed(t, clock, 2)
	second := readToken(t, p.Path())
	if second == first {
		t.Fatal("the file did not change at 48m")
	}
	if a := claimsOf(t, second); !a.IssuedAt.Equal(t0.Add(48*time.Minute)) || !a.Expiry.Equal(t0.Add(108*time.Minute)) {
		t.Errorf("rotated token iat %v exp %v", a.IssuedAt, a.Expiry)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	if _, _, n := p.Written(); n != 2 {
		t.Errorf("written %d times after Close", n)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := p.Start(); err == nil {
		t.Error("Start after Close accepted")
	}
}

func TestProjectorFaults(t *testing.T) {
	p, clock, _ := newProjector(t)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	waitArmed(t, clock, 1)

	if err := p.SetFaults(Faults{ExpiredFile: true}); err != nil {
		t.Fatal(err)
	}
	a := claimsOf(t, readToken(t, p.Path()))
	if want := t0.Add(-10 * time.Minute); !a.Expiry.Equal(want) {
		t.Errorf("expired file: exp %v, want %v", a.Expiry, want)
	}

	if err := p.SetFaults(Faults{WrongAudience: true}); err != nil {
		t.Fatal(err)
	}
	a = claimsOf(t, readToken(t, p.Path()))
	if len(a.Audiences) != 1 || a.Audiences[0] != "api://wrong-audience" || !a.Expiry.Equal(t0.Add(time.Hour)) {
		t.Errorf("wrong audience: aud %v exp %v", a.Audiences, a.Expiry)
	}

	if err := p.SetFaults(Faults{RotationStopped: true}); err != nil {
		t.Fatal(err)
	}
	stale := readToken(t, p.Path())
	_, _, before := p.Written()
	waitFor(t, p.settled) // the loop re-armed after the kick
	woken := p.wakeCount()
	clock.Advance(3 * time.Hour)
	waitFor(t, func() bool { return p.wakeCount() > woken })
	if got := readToken(t, p.Path()); got != stale {
		t.Fatal("the file was rotated while rotation was stopped")
	}
	if _, _, n := p.Written(); n != before {
		t.Fatalf("written %d times, want %d", n, before)
	}
	// Resuming catches up at once: the token is long overdue.
	if err := p.SetFaults(Faults{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return readToken(t, p.Path()) != stale })
	a = claimsOf(t, readToken(t, p.Path()))
	if !a.IssuedAt.Equal(t0.Add(3*time.Hour)) || a.Audiences[0] != TokenExchangeAudience {
		t.Errorf("resumed token iat %v aud %v", a.IssuedAt, a.Audiences)
	}
}

func TestNewProjectorRefusesBadOptions(t *testing.T) {
	iss, _ := NewIssuer(issuerURL, nil)
	dir := t.TempDir()
	for i, o := range []ProjectorOptions{
		{Path: filepath.Join(dir, "t"), ServiceAccount: workloadSA},
		{Issuer: iss, ServiceAccount: workloadSA},
		{Issuer: iss, Path: filepath.Join(dir, "t")},
		{Issuer: iss, Path: filepath.Join(dir, "t"), ServiceAccount: workloadSA, Lifetime: 5 * time.Minute},
	} {
		if _, err := NewProjector(o); err == nil {
			t.Errorf("case %d accepted", i)
		}
	}
	p, _ := NewProjector(ProjectorOptions{Issuer: iss, Path: filepath.Join(dir, "t"), ServiceAccount: workloadSA})
	if err := p.SetFaults(Faults{Status: 418}); err == nil {
		t.Error("SetFaults with status 418 accepted")
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close before Start: %v", err)
	}
}

// The exchange end to end: the file the projector writes is accepted by the
// endpoint, and the file faults turn into the AADSTS errors users see.
func TestProjectedFileThroughEndpoint(t *testing.T) {
	w := newWorld(t)
	p, err := NewProjector(ProjectorOptions{Issuer: w.issuer, Path: filepath.Join(t.TempDir(), "azure-identity-token"),
		ServiceAccount: workloadSA, Clock: w.clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Write(); err != nil {
		t.Fatal(err)
	}
	exchange := func() answer { return w.post(tokenPath, form(readToken(t, p.Path()))) }
	if a := exchange(); a.status != 200 {
		t.Fatalf("fresh file: %d %s", a.status, a.body)
	}
	cases := []struct {
		f     Faults
		codes string
	}{{Faults{ExpiredFile: true}, "[700024]"}, {Faults{WrongAudience: true}, "[70021]"}}
	for _, c := range cases {
		if err := p.SetFaults(c.f); err != nil {
			t.Fatal(err)
		}
		if a := exchange(); a.codes() != c.codes {
			t.Errorf("%+v: %d %s, want %s", c.f, a.status, a.body, c.codes)
		}
	}
	if err := p.SetFaults(Faults{RotationStopped: true}); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(2 * time.Hour) // the last good token expires unrotated
	if a := exchange(); a.codes() != "[700024]" {
		t.Errorf("rotation stopped for 2h: %d %s", a.status, a.body)
	}
}
