package broker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/testenv"
)

// randomID is a well-formed client ID no emulator identity has.
func randomID(i int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", 0xdead0000+i, i) }

// A flood of unknown client IDs neither keeps identity slots nor denies
// known identities or newcomers, and each unknown ID reaches the upstream
// once while its refusal is remembered.
func TestIdentityFloodDoesNotDenyOthers(t *testing.T) {
	emu := startEmulator(t, emulator.Options{})
	b := startBroker(t, emu.IMDSEndpoint(), Options{MaxIdentities: 8})
	hc := testenv.LoopbackOnlyClient(nil)
	ask := func(id string) (int, map[string]any) {
		t.Helper()
		q := url.Values{"api-version": {"2018-02-01"}, "resource": {armResource}, "client_id": {id}}
		return get(t, hc, tokenURL(b.url, q), meta())
	}
	if status, body := ask(contributorID); status != 200 {
		t.Fatalf("known identity: %d %v", status, body)
	}
	const flood = 40
	for i := range flood {
		if status, body := ask(randomID(i)); status != http.StatusBadRequest {
			t.Fatalf("unknown identity %d: %d %v, want the upstream's 400", i, status, body)
		}
	}
	s := b.Stats()
	if s.Identities != 2 || s.PendingIdentities != 0 {
		t.Errorf("after the flood: %d identities (%d pending), want 2 (system, contributor) and 0", s.Identities, s.PendingIdentities)
	}
	if s.RefusedIdentities != 4*8 {
		t.Errorf("%d refusals remembered, want the bound 32", s.RefusedIdentities)
	}
	for _, id := range []string{contributorID, readerID} {
		if status, body := ask(id); status != 200 {
			t.Errorf("%s after the flood: %d %v, want a token", id, status, body)
		}
	}
	// The last refused ID is answered from memory, in the upstream's words.
	before := emu.Stats().TokenRequests
	status, body := ask(randomID(flood - 1))
	if status != http.StatusBadRequest || body["error"] != "invalid_request" || body["error_description"] != "Identity not found" {
		t.Errorf("remembered refusal: %d %v", status, body)
	}
	if n := emu.Stats().TokenRequests - before; n != 0 {
		t.Errorf("a remembered refusal went upstream %d times", n)
	}
	if n := b.Stats().RefusalsReplayed; n != 1 {
		t.Errorf("refusals replayed %d, want 1", n)
	}
}

// A refusal is forgotten after RejectTTL: an identity assigned since gets
// its token.
func TestRefusalExpires(t *testing.T) {
	clk := testenv.NewFakeClock(time.Now())
	emu := startEmulator(t, emulator.Options{Clock: clk})
	b := startBroker(t, emu.IMDSEndpoint(), Options{Upstream: identity.Options{Clock: clk}, RejectTTL: time.Minute})
	id := identity.ClientID(randomID(1))
	_, _, _, err := b.token(context.Background(), id, armResource)
	var ae *identity.AuthError
	if !errors.As(err, &ae) || ae.StatusCode != 400 {
		t.Fatalf("unknown identity: %v", err)
	}
	before := emu.Stats().TokenRequests
	if _, _, _, err := b.token(context.Background(), id, armResource); !errors.As(err, &ae) {
		t.Fatalf("within RejectTTL: %v", err)
	}
	if emu.Stats().TokenRequests != before {
		t.Fatal("a remembered refusal went upstream")
	}
	clk.Advance(time.Minute)
	_, _, _, _ = b.token(context.Background(), id, armResource)
	if emu.Stats().TokenRequests != before+1 {
		t.Errorf("after RejectTTL the upstream was not asked again")
	}
}

// While half the slots are pending (first requests in flight), further
// unknown identities get 503, but known identities are still served; an
// identity idle for IdleTimeout gives its slot (and tokens) up.
func TestIdentitySlotsAdmissionAndIdleEviction(t *testing.T) {
	clk := testenv.NewFakeClock(time.Now())
	emu := startEmulator(t, emulator.Options{Clock: clk})
	b := startBroker(t, emu.IMDSEndpoint(), Options{Upstream: identity.Options{Clock: clk}, MaxIdentities: 4, IdleTimeout: time.Hour})
	ctx := context.Background()
	if _, _, _, err := b.token(ctx, identity.ClientID(contributorID), armResource); err != nil {
		t.Fatal(err)
	}
	// Two pending slots (half of 4) held by requests in flight.
	var held []*slot
	for i := range 2 {
		s, err := b.acquire(identity.ClientID(randomID(i)))
		if err != nil {
			t.Fatalf("pending %d: %v", i, err)
		}
		held = append(held, s)
	}
	if _, err := b.acquire(identity.ClientID(readerID)); !errors.Is(err, errTooManyIdentities) {
		t.Errorf("a third pending identity: %v, want errTooManyIdentities", err)
	}
	if _, _, _, err := b.token(ctx, identity.ClientID(contributorID), armResource); err != nil {
		t.Errorf("known identity while pending slots are full: %v", err)
	}
	if _, _, _, err := b.token(ctx, identity.ID{}, armResource); err != nil {
		t.Errorf("system-assigned while pending slots are full: %v", err)
	}
	for i, s := range held {
		b.release(identity.ClientID(randomID(i)), s, errors.New("gave up"))
	}
	if s := b.Stats(); s.Identities != 2 || s.PendingIdentities != 0 || s.RefusedIdentities != 0 {
		t.Errorf("after the pending requests failed (not a refusal): %+v", s)
	}

	// The contributor goes idle; the reader comes and stays busy.
	clk.Advance(30 * time.Minute)
	if _, _, _, err := b.token(ctx, identity.ClientID(readerID), armResource); err != nil {
		t.Fatal(err)
	}
	clk.Advance(31 * time.Minute)
	eventually(t, "the idle contributor's eviction", b.nudge, func() bool { return b.Stats().EvictedIdentities == 1 })
	s := b.Stats()
	if s.Identities != 2 {
		t.Errorf("identities %d, want 2 (system, reader)", s.Identities)
	}
	for _, ts := range s.Tokens {
		if ts.Identity == identity.ClientID(contributorID).String() {
			t.Errorf("the evicted identity's token is still tracked: %+v", ts)
		}
	}
	// It comes back as a newcomer and is served.
	if _, _, _, err := b.token(ctx, identity.ClientID(contributorID), armResource); err != nil {
		t.Errorf("the evicted identity on its return: %v", err)
	}
}
