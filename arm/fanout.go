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
	err := c.fanOut(ctx, subs, func(i int, sub string) error {
		var err error
		out[i].Groups, err = c.ResourceGroupPages(sub, o).Collect(ctx)
		return err
	}, func(i int, sub string, err error) {
		out[i].SubscriptionID, out[i].Err = sub, err
	})
	return out, err
}

// SubscriptionResources is one subscription's share of ResourcesAcross.
type SubscriptionResources struct {
	SubscriptionID string
	Resources      []Resource
	Err            error // this subscription's failure; others may have succeeded
}

// ResourcesAcross lists the resources of every subscription in subs as
// ResourcePages does, concurrently and with the results and guarantees of
// ResourceGroupsAcross. o.ResourceGroup, if set, names a group in each.
func (c *Client) ResourcesAcross(ctx context.Context, subs []string, o *ListResourcesOptions) ([]SubscriptionResources, error) {
	out := make([]SubscriptionResources, len(subs))
	err := c.fanOut(ctx, subs, func(i int, sub string) error {
		var err error
		out[i].Resources, err = c.ResourcePages(sub, o).Collect(ctx)
		return err
	}, func(i int, sub string, err error) {
		out[i].SubscriptionID, out[i].Err = sub, err
	})
	return out, err
}

// fanOut calls list for every subscription in subs, at most maxConc at a
// time, then done with its index, ID and list's error (ctx's error for
// those not started because ctx ended). done is called once per entry and
// never concurrently for one index. It returns ctx.Err() after every
// goroutine has returned.
func (c *Client) fanOut(ctx context.Context, subs []string, list func(i int, sub string) error, done func(i int, sub string, err error)) error {
	sem := make(chan struct{}, c.maxConc)
	var wg sync.WaitGroup
	for i, sub := range subs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			for j := i; j < len(subs); j++ {
				done(j, subs[j], ctx.Err())
			}
			wg.Wait()
			return ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			done(i, sub, list(i, sub))
		}()
	}
	wg.Wait()
	return ctx.Err()
}
