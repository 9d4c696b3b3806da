package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azmsi/azmsi/arm"
	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/testenv"
)

// groupFate is what the storm knows about one group: the last change the
// emulator acknowledged, and whether a later change was in flight when the
// emulator was killed (so it may or may not have been applied).
type groupFate struct {
	created, deleted bool // last acknowledged change
	pending          bool
}

// stormTags is the full content every storm group is created with; a group
// that exists after the crash must have all of it.
func stormTags(name string) map[string]string {
	return map[string]string{"name": name, "storm": "yes", "pad": strings.Repeat("x", 200)}
}

// stormClient builds an ARM client acting as the contributor identity
// against the emulator described by env.
func stormClient(t *testing.T, env map[string]string) *arm.Client {
	t.Helper()
	ca, err := os.ReadFile(env["SSL_CERT_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	cred, err := identity.New(identity.Options{Endpoint: env["AZURE_POD_IDENTITY_AUTHORITY_HOST"], ID: identity.ClientID(contributorID),
		HTTPClient: testenv.LoopbackOnlyClient(nil), Getenv: func(string) string { return "" }, RetryBudget: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cred.Close() })
	c, err := arm.New(arm.Options{Credential: arm.FromIdentity(cred), Endpoint: env["AZMSI_ARM_ENDPOINT"],
		HTTPClient: testenv.LoopbackOnlyClient(ca), MaxRetries: -1, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// SIGKILL during a storm of creates and deletes: after a restart every
// acknowledged change is there, and no group is half-written.
func TestDurabilityKillDuringStorm(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	em := startEmulator(t, dir, "--state", state, "-q")
	client := stormClient(t, em.env)
	ctx := context.Background()
	// Warm the token so the storm is all ARM writes.
	if _, err := client.GetResourceGroup(ctx, "00000000-0000-0000-0000-000000000001", "rg-web"); err != nil {
		t.Fatal(err)
	}

	const sub = "00000000-0000-0000-0000-000000000001"
	var mu sync.Mutex
	fates := map[string]*groupFate{}
	var acked int
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				name := fmt.Sprintf("storm-%d-%d", w, i)
				mu.Lock()
				fates[name] = &groupFate{pending: true}
				mu.Unlock()
				_, _, err := client.CreateOrUpdateResourceGroup(ctx, sub, name, arm.ResourceGroup{Location: "eastus", Tags: stormTags(name)})
				if err != nil {
					return // the emulator is gone
				}
				mu.Lock()
				*fates[name] = groupFate{created: true}
				acked++
				mu.Unlock()
				if i%3 == 2 {
					victim := fmt.Sprintf("storm-%d-%d", w, i-1)
					mu.Lock()
					fates[victim].pending = true
					mu.Unlock()
					if _, err := client.BeginDeleteResourceGroup(ctx, sub, victim); err != nil {
						return
					}
					mu.Lock()
					*fates[victim] = groupFate{deleted: true}
					acked++
					mu.Unlock()
				}
			}
		}()
	}
	// Kill once enough changes are acknowledged, mid-storm.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		n := acked
		mu.Unlock()
		if n >= 150 || time.Now().After(deadline) {
			break
		}
	}
	em.kill()
	wg.Wait()

	em = startEmulator(t, dir, "--state", state, "-q")
	client = stormClient(t, em.env)
	time.Sleep(150 * time.Millisecond) // past --delete-duration 100ms: acknowledged deletes are done
	got := map[string]arm.ResourceGroup{}
	for g, err := range client.ResourceGroups(ctx, sub, nil) {
		if err != nil {
			t.Fatal(err)
		}
		got[g.Name] = g
	}
	var lost, resurrected, partial, pendingSeen int
	for name, f := range fates {
		g, exists := got[name]
		if exists && g.Properties.ProvisioningState != "Deleting" {
			want := stormTags(name)
			if g.Location != "eastus" || len(g.Tags) != len(want) || g.Tags["pad"] != want["pad"] || g.Tags["name"] != name {
				partial++
				t.Errorf("%s is half-applied: %+v", name, g)
			}
		}
		switch {
		case f.pending:
			pendingSeen++
		case f.created && !exists:
			lost++
			t.Errorf("acknowledged create of %s lost", name)
		case f.deleted && exists && g.Properties.ProvisioningState != "Deleting":
			resurrected++
			t.Errorf("acknowledged delete of %s undone", name)
		}
	}
	if acked < 50 {
		t.Fatalf("only %d acknowledged changes before the kill", acked)
	}
	t.Logf("killed after %d acknowledged changes (%d groups, %d in flight): %d lost, %d undone, %d half-applied", acked, len(fates), pendingSeen, lost, resurrected, partial)
}
