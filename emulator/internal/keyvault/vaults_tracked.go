package keyvault

import (
	"maps"
	"strings"
)

// TrackedVault is a live vault as ARM's /resources listings show it.
type TrackedVault struct {
	ID       string
	Location string
	Tags     map[string]string
}

// Tracked lists the subscription's live (not soft-deleted) vaults, so that
// the generic /resources listings include them.
func (s *VaultService) Tracked(subscriptionID string) []TrackedVault {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []TrackedVault
	for _, v := range s.vaults {
		if v.Deleted || !strings.EqualFold(v.Subscription, subscriptionID) {
			continue
		}
		tags := maps.Clone(v.Tags)
		if tags == nil {
			tags = map[string]string{}
		}
		out = append(out, TrackedVault{ID: v.id(), Location: v.Location, Tags: tags})
	}
	return out
}
