package emulator

import (
	"github.com/azmsi/azmsi/emulator/internal/resources"
)

// trackedVaults are the subscription's live vaults as generic records, so
// that GET /subscriptions/{s}[/resourceGroups/{rg}]/resources lists them
// (armkeyvault lists vaults that way, az resource list shows them). s.kv is
// built after ARM, before any listener starts.
func (s *Server) trackedVaults(subscriptionID string) []*resources.Record {
	if s.kv == nil || s.kv.ctl == nil {
		return nil
	}
	vs := s.kv.ctl.Tracked(subscriptionID)
	out := make([]*resources.Record, 0, len(vs))
	for _, v := range vs {
		out = append(out, &resources.Record{ID: v.ID, Type: "Microsoft.KeyVault/vaults", Location: v.Location, Tags: v.Tags})
	}
	return out
}

// vaultExists reports whether a live vault has the ARM id (the scopes of
// role assignments).
func (s *Server) vaultExists(resourceID string) bool {
	return s.kv != nil && s.kv.ctl != nil && s.kv.ctl.Exists(resourceID)
}
