package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	armresourcesv3 "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources/v3"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions"

	"github.com/azmsi/azmsi/emulator"
)

// BenchmarkListGroups lists every resource group of the world, azmsi against
// armsubscriptions/armresources, both on the same emulator (default page
// size, 100) with warm tokens. One op lists everything.
//
//   - subs=1/groups=10000: one subscription, 100 pages, known subscription
//     ID: azmsi's ResourceGroups iterator vs ResourceGroupsClient.NewListPager.
//   - subs=100/groups=500: list the subscriptions, then every one's groups:
//     azmsi's Subscriptions + ResourceGroupsAcross (fans out, 8 at a time by
//     default) vs the SDK's pagers as their docs show them, one subscription
//     after the other.
//
// Two more peers make the comparison fair: impl=sdk8 runs the SDK's pagers
// 8 subscriptions at a time (azmsi's default fan-out), and impl=sdkv3 is
// the newest major, armresources/v3, also 8 at a time (serially on one
// subscription, where both libraries follow nextLink one page after the
// other).
func BenchmarkListGroups(b *testing.B) {
	for _, w := range []struct {
		subs, groups int
		sdkAudience  string // see sdkARM
	}{
		{1, 10000, "https://management.core.windows.net/"},
		{100, 500, "https://management.azure.com/"},
	} {
		s := startEmulator(b, emulator.Options{Config: World(w.subs, w.groups)})
		want := w.subs * w.groups
		hc := httpClient(b, s)
		ctx := context.Background()
		name := fmt.Sprintf("subs=%d/groups=%d", w.subs, w.groups)
		firstSub := s.Config().Subscriptions[0].SubscriptionID

		az := armClient(b, s, hc)
		azList := func() (int, error) {
			if w.subs == 1 {
				n := 0
				for _, err := range az.ResourceGroups(ctx, firstSub, nil) {
					if err != nil {
						return n, err
					}
					n++
				}
				return n, nil
			}
			var ids []string
			for sub, err := range az.Subscriptions(ctx) {
				if err != nil {
					return 0, err
				}
				ids = append(ids, sub.SubscriptionID)
			}
			res, err := az.ResourceGroupsAcross(ctx, ids, nil)
			if err != nil {
				return 0, err
			}
			n := 0
			for _, r := range res {
				if r.Err != nil {
					return n, r.Err
				}
				n += len(r.Groups)
			}
			return n, nil
		}

		cred := sdkCred(b, hc)
		opts := sdkARM(s, hc, w.sdkAudience)
		sdkGroups := func(sub string) (int, error) {
			c, err := armresources.NewResourceGroupsClient(sub, cred, opts)
			if err != nil {
				return 0, err
			}
			n := 0
			pager := c.NewListPager(nil)
			for pager.More() {
				page, err := pager.NextPage(ctx)
				if err != nil {
					return n, err
				}
				n += len(page.Value)
			}
			return n, nil
		}
		sdkV3Groups := func(sub string) (int, error) {
			c, err := armresourcesv3.NewResourceGroupsClient(sub, cred, opts)
			if err != nil {
				return 0, err
			}
			n := 0
			pager := c.NewListPager(nil)
			for pager.More() {
				page, err := pager.NextPage(ctx)
				if err != nil {
					return n, err
				}
				n += len(page.Value)
			}
			return n, nil
		}
		sdkSubs := func() ([]string, error) {
			sc, err := armsubscriptions.NewClient(cred, opts)
			if err != nil {
				return nil, err
			}
			var ids []string
			pager := sc.NewListPager(nil)
			for pager.More() {
				page, err := pager.NextPage(ctx)
				if err != nil {
					return nil, err
				}
				for _, sub := range page.Value {
					ids = append(ids, *sub.SubscriptionID)
				}
			}
			return ids, nil
		}
		// fanOut lists every subscription's groups, 8 at a time.
		fanOut := func(groups func(string) (int, error)) func() (int, error) {
			return func() (int, error) {
				if w.subs == 1 {
					return groups(firstSub)
				}
				ids, err := sdkSubs()
				if err != nil {
					return 0, err
				}
				var (
					mu       sync.Mutex
					total    int
					firstErr error
					wg       sync.WaitGroup
				)
				sem := make(chan struct{}, 8)
				for _, id := range ids {
					wg.Add(1)
					sem <- struct{}{}
					go func() {
						defer func() { <-sem; wg.Done() }()
						n, err := groups(id)
						mu.Lock()
						total += n
						if err != nil && firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
					}()
				}
				wg.Wait()
				return total, firstErr
			}
		}
		sdkList := func() (int, error) {
			if w.subs == 1 {
				return sdkGroups(firstSub)
			}
			sc, err := armsubscriptions.NewClient(cred, opts)
			if err != nil {
				return 0, err
			}
			var ids []string
			pager := sc.NewListPager(nil)
			for pager.More() {
				page, err := pager.NextPage(ctx)
				if err != nil {
					return 0, err
				}
				for _, sub := range page.Value {
					ids = append(ids, *sub.SubscriptionID)
				}
			}
			total := 0
			for _, id := range ids {
				n, err := sdkGroups(id)
				if err != nil {
					return total, err
				}
				total += n
			}
			return total, nil
		}

		for _, im := range []struct {
			name string
			list func() (int, error)
		}{{"azmsi", azList}, {"sdk", sdkList}, {"sdk8", fanOut(sdkGroups)}, {"sdkv3", fanOut(sdkV3Groups)}} {
			b.Run(name+"/impl="+im.name, func(b *testing.B) {
				// Warm up: tokens cached, connections open.
				if n, err := im.list(); err != nil || n != want {
					b.Fatalf("listed %d groups (err %v), want %d", n, err, want)
				}
				before := s.Stats().ARMRequests
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if n, err := im.list(); err != nil || n != want {
						b.Fatalf("listed %d groups (err %v), want %d", n, err, want)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(s.Stats().ARMRequests-before)/float64(b.N), "arm-reqs/op")
			})
		}
	}
}
