package emulator

import (
	"sort"
	"sync"
	"sync/atomic"
)

// Stats are request counters, for tests and /_emulator/stats.
type Stats struct {
	// TokenRequests counts every hit on a token endpoint, errors included.
	TokenRequests int64 `json:"tokenRequests"`
	// TokensMinted counts newly signed tokens (cache hits excluded).
	TokensMinted int64 `json:"tokensMinted"`
	// ARMRequests counts every request the ARM listener routed to ARM.
	ARMRequests int64 `json:"armRequests"`
	// Tokens counts successful token responses per identity and resource.
	Tokens []TokenCount `json:"tokens"`
	// Faults counts injected faults per "family:kind" (e.g. "imds:500").
	Faults map[string]int64 `json:"faults,omitempty"`
}

// TokenCount is the number of tokens handed out for one identity and resource.
type TokenCount struct {
	Identity string `json:"identity"`
	Resource string `json:"resource"`
	Count    int64  `json:"count"`
}

// stats holds the live counters. The ARM side increments armRequests.
type stats struct {
	tokenRequests atomic.Int64
	tokensMinted  atomic.Int64
	armRequests   atomic.Int64

	mu     sync.Mutex
	served map[[2]string]int64 // {identity name, resource} → count
}

// maxServedKeys bounds the per-resource map: resources are caller-chosen.
const maxServedKeys = 10000

func (st *stats) init() { st.served = map[[2]string]int64{} }

func (st *stats) tokenServed(identity, resource string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	k := [2]string{identity, resource}
	if _, ok := st.served[k]; !ok && len(st.served) >= maxServedKeys {
		k[1] = "(other)"
	}
	st.served[k]++
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	out := Stats{
		TokenRequests: s.stats.tokenRequests.Load(),
		TokensMinted:  s.stats.tokensMinted.Load(),
		ARMRequests:   s.stats.armRequests.Load(),
		Tokens:        []TokenCount{},
	}
	if s.faults != nil {
		if c := s.faults.counters(); len(c) > 0 {
			out.Faults = c
		}
	}
	s.stats.mu.Lock()
	for k, n := range s.stats.served {
		out.Tokens = append(out.Tokens, TokenCount{Identity: k[0], Resource: k[1], Count: n})
	}
	s.stats.mu.Unlock()
	sort.Slice(out.Tokens, func(i, j int) bool {
		a, b := out.Tokens[i], out.Tokens[j]
		if a.Identity != b.Identity {
			return a.Identity < b.Identity
		}
		return a.Resource < b.Resource
	})
	return out
}
