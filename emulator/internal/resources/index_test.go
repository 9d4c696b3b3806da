package resources

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestOrderedSetMatchesSortedSlice runs random inserts, removes and walks
// against a plain sorted slice.
func TestOrderedSetMatchesSortedSlice(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var s orderedSet
	var want []string
	for i := range 20000 {
		k := fmt.Sprintf("k%05d", r.IntN(6000))
		if r.IntN(3) == 0 {
			j, found := slices.BinarySearch(want, k)
			if got := s.remove(k); got != found {
				t.Fatalf("step %d: remove(%s) = %v, want %v", i, k, got, found)
			}
			if found {
				want = slices.Delete(want, j, j+1)
			}
		} else {
			j, found := slices.BinarySearch(want, k)
			if got := s.insert(k); got == found {
				t.Fatalf("step %d: insert(%s) = %v, want %v", i, k, got, !found)
			}
			if !found {
				want = slices.Insert(want, j, k)
			}
		}
	}
	if s.len() != len(want) {
		t.Fatalf("len = %d, want %d", s.len(), len(want))
	}
	for _, after := range []string{"", "k00000", "k02999", "k03000x", "k05999", "zzz"} {
		var got []string
		s.ascend(after, func(k string) bool { got = append(got, k); return true })
		j, found := slices.BinarySearch(want, after)
		if found {
			j++
		}
		if !slices.Equal(got, want[j:]) {
			t.Fatalf("ascend(%q): %d keys, want %d", after, len(got), len(want)-j)
		}
	}
	for _, c := range s.chunks {
		if len(c) == 0 || len(c) > chunkMax {
			t.Fatalf("chunk of %d keys", len(c))
		}
	}
	n := 0
	s.ascend("", func(string) bool { n++; return n < 10 })
	if n != 10 {
		t.Fatalf("ascend did not stop when fn returned false: %d calls", n)
	}
}
