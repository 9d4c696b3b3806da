package cli

import (
	"runtime"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/internal/testenv"
)

// ARM() starts fetching the ARM token before the command sends anything to
// ARM, so the two round trips overlap; Close waits for that work.
func TestARMWarmsUpTheTokenAndCloseWaits(t *testing.T) {
	e := startEmulator(t, emulator.Options{})
	before := runtime.NumGoroutine()

	ios, _, _, _ := TestIOStreams()
	f := NewFactory(ios)
	f.Getenv = func(k string) string { return e.env[k] }
	f.LookupEnv = func(k string) (string, bool) { v, ok := e.env[k]; return v, ok }
	f.HTTPClient = testenv.LoopbackOnlyClient(e.srv.CACertPEM())
	if _, err := f.ARM(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.srv.Stats().TokensMinted == 0 {
		if time.Now().After(deadline) {
			t.Fatal("ARM() did not start fetching the ARM token")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := e.srv.Stats().ARMRequests; n != 0 {
		t.Fatalf("the warm-up sent %d ARM requests; it may only fetch the token", n)
	}
	f.Close()
	// Close waited for the warm-up and closed the credential: what is left
	// are idle keep-alive connections, which the transport closes on demand.
	f.HTTPClient.CloseIdleConnections()
	deadline = time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: %d before, %d after Close", before, runtime.NumGoroutine())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
