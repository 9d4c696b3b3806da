package keyvault

import (
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentWritersAndReaders: parallel sets, gets, lists and deletes
// on one vault keep every version (run under -race in CI).
func TestConcurrentWritersAndReaders(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	statuses := make(chan int, 400)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				statuses <- e.doQuiet("PUT", base+"/secrets/shared"+av, map[string]any{"value": fmt.Sprint(g, i)})
				statuses <- e.doQuiet("GET", base+"/secrets/shared"+av, nil)
				statuses <- e.doQuiet("GET", base+"/secrets"+av, nil)
				statuses <- e.doQuiet("PUT", base+"/secrets/own-"+fmt.Sprint(g)+av, map[string]any{"value": "x"})
			}
		}()
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != 200 && s != 404 { // a GET may precede the first PUT
			t.Fatalf("status %d", s)
		}
	}
	n := 0
	for next := base + "/secrets/shared/versions" + av; next != ""; {
		r := e.do("GET", next, tokOwner, nil)
		p := r.json(t)
		n += len(p["value"].([]any))
		next, _ = p["nextLink"].(string)
	}
	if n != 100 {
		t.Errorf("%d versions, want 100", n)
	}
}
