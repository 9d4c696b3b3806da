// Package stats holds the emulator's live request counters. Services
// increment them; package emulator turns them into the public Stats.
package stats

import (
	"sync"
	"sync/atomic"
)

// Counters are the live counters. The zero value is ready to use.
type Counters struct {
	TokenRequests atomic.Int64 // every hit on a token endpoint, errors included
	TokensMinted  atomic.Int64 // newly signed tokens
	ARMRequests   atomic.Int64 // every request routed to ARM

	mu          sync.Mutex
	served      map[[2]string]int64 // {identity name, resource} → count
	servedBytes int                 // of the keys in served
}

// maxServedKeys and maxServedBytes bound the per-resource map: resources
// are caller-chosen.
const (
	maxServedKeys  = 10000
	maxServedBytes = 1 << 20
)

// TokenServed counts a successful token answer for identity and resource.
// Past maxServedKeys distinct pairs or maxServedBytes of them, new
// resources count as "(other)".
func (c *Counters) TokenServed(identity, resource string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.served == nil {
		c.served = map[[2]string]int64{}
	}
	k := [2]string{identity, resource}
	if _, ok := c.served[k]; !ok {
		if len(c.served) >= maxServedKeys || c.servedBytes+len(identity)+len(resource) > maxServedBytes {
			k[1] = "(other)"
		}
		if _, ok := c.served[k]; !ok {
			c.servedBytes += len(k[0]) + len(k[1])
		}
	}
	c.served[k]++
}

// Served calls f for every {identity, resource} count.
func (c *Counters) Served(f func(identity, resource string, n int64)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, n := range c.served {
		f(k[0], k[1], n)
	}
}
