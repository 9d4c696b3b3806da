package arm

import (
	"net/http"

	"github.com/azmsi/azmsi/emulator/internal/store"
	"github.com/azmsi/azmsi/emulator/internal/tokens"
)

// Authenticate is ARM's bearer-token check for services served beside the
// route table (the Key Vault vault resource): on failure it has written
// ARM's 401 with its challenge.
func (a *Service) Authenticate(w http.ResponseWriter, r *http.Request) (*tokens.Verified, bool) {
	return a.authenticate(w, r)
}

// GroupExists reports whether the resource group exists and is not being
// deleted.
func (a *Service) GroupExists(sub, name string) bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	g := a.groups[store.Key(sub, name)]
	return g != nil && !g.Deleting()
}
