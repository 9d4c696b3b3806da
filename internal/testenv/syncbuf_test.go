package testenv

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// Concurrent writers and a reader; run with -race.
func TestSyncBuffer(t *testing.T) {
	var buf SyncBuffer
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if n, err := fmt.Fprintf(&buf, "w%d;", i); err != nil || n != 3 {
					t.Errorf("Write = %d, %v", n, err)
				}
				_ = buf.String()
			}
		}()
	}
	wg.Wait()
	got := buf.String()
	for i := range 4 {
		if n := strings.Count(got, fmt.Sprintf("w%d;", i)); n != 50 {
			t.Errorf("writer %d: %d writes kept, want 50 (buffer %d bytes)", i, n, len(got))
		}
	}
}
