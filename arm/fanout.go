package arm

import (
	"context"
	"sync"
)

// SubscriptionGroups is one subscription's share of ResourceGroupsAcross.
type SubscriptionGroups struct {
	SubscriptionID string
	Groups         []ResourceGroup
	Err            error // this subscription's failure; others may have succeeded
}

// ResourceGroupsAcross lists the groups of every subscription in subs
// concurrently, at most Options.MaxConcurrency at a time. Results are in the
// order of subs, one per entry, with per-subscription failures in Err. The
// returned error is non-nil only when ctx ended, which stops all lists. Every
// goroutine has returned when this returns.
func (c *Client) ResourceGroupsAcross(ctx context.Context, subs []string, o *ListGroupsOptions) ([]SubscriptionGroups, error) {
	out := make([]SubscriptionGroups, len(subs))
	sem := make(chan struct{}, c.maxConc)
	var wg sync.WaitGroup
	for i, sub := range subs {
		out[i].SubscriptionID = sub
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			for j := i; j < len(subs); j++ {
				out[j].SubscriptionID = subs[j]
				out[j].Err = ctx.Err()
			}
			wg.Wait()
			return out, ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i].Groups, out[i].Err = c.ResourceGroupPages(sub, o).Collect(ctx)
		}()
	}
	wg.Wait()
	return out, ctx.Err()
}
