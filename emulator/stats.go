package emulator

import "sort"

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

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	out := Stats{
		TokenRequests: s.stats.TokenRequests.Load(),
		TokensMinted:  s.stats.TokensMinted.Load(),
		ARMRequests:   s.stats.ARMRequests.Load(),
		Tokens:        []TokenCount{},
	}
	if c := s.faults.Counters(); len(c) > 0 {
		out.Faults = c
	}
	s.stats.Served(func(identity, resource string, n int64) {
		out.Tokens = append(out.Tokens, TokenCount{Identity: identity, Resource: resource, Count: n})
	})
	sort.Slice(out.Tokens, func(i, j int) bool {
		a, b := out.Tokens[i], out.Tokens[j]
		if a.Identity != b.Identity {
			return a.Identity < b.Identity
		}
		return a.Resource < b.Resource
	})
	return out
}
