package reliability

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
)

// soakScale: short in CI; AZMSI_SOAK=1 runs it 20 times longer.
func soakScale() (goroutines, rounds int) {
	if os.Getenv("AZMSI_SOAK") == "1" {
		return 4000, 20
	}
	return 2000, 1
}

// Thousands of goroutines hammer one credential's cache (hits, forced
// refreshes, many resources) and the ARM client; afterwards goroutines and
// heap return to their baseline, so nothing is leaked per call.
func TestSoakNoLeaks(t *testing.T) {
	goroutines, rounds := soakScale()
	s := startEmulator(t, emulator.Options{PageSize: 3})
	cred := newCredential(t, s, identity.Options{ID: identity.ClientID(contributorID)})
	client := newARMClient(t, s, emulatorToken(t, s, contributorID), nil, 4)
	ctx := context.Background()

	work := func(goroutines int) {
		var wg sync.WaitGroup
		errs := make(chan error, goroutines)
		for i := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				switch {
				case i%10 == 0:
					_, err = cred.TokenWithOptions(ctx, armResource, identity.TokenOptions{ForceRefresh: true})
				case i%10 == 1:
					_, err = cred.Token(ctx, fmt.Sprintf("https://soak%d.example/", i%50))
				case i%20 == 2:
					_, err = client.GetResourceGroup(ctx, sub1, "rg-web")
				case i%40 == 3:
					for _, e := range client.ResourceGroups(ctx, sub1, nil) {
						if e != nil {
							err = e
						}
					}
				default:
					_, err = cred.Token(ctx, armResource)
				}
				if err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	work(200) // warm caches and connection pools
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	baseG := runtime.NumGoroutine()

	start := time.Now()
	for range rounds {
		work(goroutines)
	}
	elapsed := time.Since(start)

	// Idle keep-alive connections may still be closing; give them a moment.
	var g int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		runtime.GC()
		if g = runtime.NumGoroutine(); g <= baseG+4 || time.Now().After(deadline) {
			break
		}
	}
	var end runtime.MemStats
	runtime.ReadMemStats(&end)
	if g > baseG+4 {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines %d after the soak, %d before\n%s", g, baseG, buf[:runtime.Stack(buf, true)])
	}
	grew := int64(end.HeapAlloc) - int64(base.HeapAlloc)
	if grew > 8<<20 {
		t.Fatalf("heap grew by %.1f MiB over %d calls", float64(grew)/(1<<20), rounds*goroutines)
	}
	t.Logf("%d rounds × %d goroutines in %s: goroutines %d → %d, heap %+.2f MiB", rounds, goroutines, elapsed.Round(time.Millisecond), baseG, g, float64(grew)/(1<<20))
}
