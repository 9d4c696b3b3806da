package broker

import (
	"fmt"
	"strings"

	"github.com/azmsi/azmsi/identity"
)

// allowList is the parsed Options.AllowIdentities. The zero value allows
// every identity.
type allowList struct {
	set    bool
	system bool
	guids  map[string]bool // client or object IDs, lower case
	resIDs map[string]bool // resource IDs, lower case
}

// parseAllowList reads entries of the forms "system", a GUID (a client or
// object ID) or a user-assigned identity resource ID.
func parseAllowList(entries []string) (allowList, error) {
	a := allowList{guids: map[string]bool{}, resIDs: map[string]bool{}}
	for _, raw := range entries {
		e := strings.TrimSpace(raw)
		a.set = true
		switch {
		case strings.EqualFold(e, "system"), strings.EqualFold(e, "system-assigned"):
			a.system = true
		case strings.HasPrefix(e, "/"):
			if err := identity.ResourceID(e).Validate(); err != nil {
				return allowList{}, fmt.Errorf("allowed identity %q: %v", raw, err)
			}
			a.resIDs[strings.ToLower(e)] = true
		default:
			if err := identity.ClientID(e).Validate(); err != nil {
				return allowList{}, fmt.Errorf("allowed identity %q is neither \"system\", a client or object ID (GUID) nor a user-assigned identity resource ID: %v", raw, err)
			}
			a.guids[strings.ToLower(e)] = true
		}
	}
	return a, nil
}

// allows reports whether id may be handed out. Matching is on the form the
// client used: a GUID entry matches requests by client_id or object_id, a
// resource ID entry requests by msi_res_id. The broker does not learn the
// other forms of an identity before fetching its token, so list every form
// your clients use.
func (a allowList) allows(id identity.ID) bool {
	if !a.set {
		return true
	}
	switch id.Kind() {
	case identity.SystemAssigned:
		return a.system
	case identity.ResourceIDKind:
		return a.resIDs[strings.ToLower(id.Value())]
	default:
		return a.guids[strings.ToLower(id.Value())]
	}
}
