package tokens

import (
	"sync"
	"testing"
)

// TestBackgroundKey: without a directory the key is generated in the
// background; every accessor waits for it, concurrently.
func TestBackgroundKey(t *testing.T) {
	k, err := LoadOrCreateKey("")
	if err != nil {
		t.Fatal(err)
	}
	kids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range kids {
		wg.Add(1)
		go func() { defer wg.Done(); kids[i] = k.KID() }()
	}
	wg.Wait()
	if err := k.Wait(); err != nil {
		t.Fatal(err)
	}
	for _, kid := range kids {
		if kid == "" || kid != kids[0] {
			t.Fatalf("KIDs %q", kids)
		}
	}
	if k.Private() == nil || k.Private().N.BitLen() != 2048 {
		t.Fatal("no 2048-bit key")
	}
}
