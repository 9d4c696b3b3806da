package resources

import (
	"slices"
	"sort"
)

// orderedSet is a sorted set of strings kept in chunks of at most chunkMax,
// so that an insert or delete moves at most a chunk (not the whole set, as
// one sorted slice of 100,000 ids would on every write) and a list page
// is a binary search plus a walk of the page's length.
type orderedSet struct {
	chunks [][]string // each sorted and non-empty; chunk i's keys < chunk i+1's
	n      int
}

const chunkMax = 512

func (s *orderedSet) len() int { return s.n }

// chunkFor is the index of the chunk that holds or would hold k.
func (s *orderedSet) chunkFor(k string) int {
	i := sort.Search(len(s.chunks), func(i int) bool { c := s.chunks[i]; return c[len(c)-1] >= k })
	if i == len(s.chunks) && i > 0 {
		i-- // past every chunk: append to the last
	}
	return i
}

// insert adds k; false if present.
func (s *orderedSet) insert(k string) bool {
	if len(s.chunks) == 0 {
		s.chunks = [][]string{{k}}
		s.n = 1
		return true
	}
	ci := s.chunkFor(k)
	c := s.chunks[ci]
	j, found := slices.BinarySearch(c, k)
	if found {
		return false
	}
	c = slices.Insert(c, j, k)
	if len(c) > chunkMax {
		half := len(c) / 2
		right := slices.Clone(c[half:])
		c = slices.Clip(c[:half])
		s.chunks = slices.Insert(s.chunks, ci+1, right)
	}
	s.chunks[ci] = c
	s.n++
	return true
}

// remove deletes k; false if absent.
func (s *orderedSet) remove(k string) bool {
	if len(s.chunks) == 0 {
		return false
	}
	ci := s.chunkFor(k)
	c := s.chunks[ci]
	j, found := slices.BinarySearch(c, k)
	if !found {
		return false
	}
	c = slices.Delete(c, j, j+1)
	if len(c) == 0 {
		s.chunks = slices.Delete(s.chunks, ci, ci+1)
	} else {
		s.chunks[ci] = c
	}
	s.n--
	return true
}

// ascend calls fn for each key > after, in order, until fn returns false.
func (s *orderedSet) ascend(after string, fn func(k string) bool) {
	ci := s.chunkFor(after)
	for ; ci < len(s.chunks); ci++ {
		c := s.chunks[ci]
		j, found := slices.BinarySearch(c, after)
		if found {
			j++
		}
		for ; j < len(c); j++ {
			if !fn(c[j]) {
				return
			}
		}
		after = "" // every key of later chunks is greater
	}
}
