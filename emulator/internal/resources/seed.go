package resources

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// IdentityRecord is a user-assigned identity from the emulator's config as
// a stored resource (Microsoft.ManagedIdentity/userAssignedIdentities), with
// the properties ARM returns for one (tenantId, principalId, clientId).
// nil when resourceID is not a resource id.
func IdentityRecord(resourceID, location, tenantID, clientID, principalID string, at time.Time) *Record {
	r, err := Classify(http.MethodGet, (&url.URL{Path: resourceID}).EscapedPath())
	if err != nil || r.Kind != KindResource {
		return nil
	}
	props, _ := json.Marshal(map[string]string{"tenantId": tenantID, "principalId": principalID, "clientId": clientID})
	return &Record{ID: r.ID.String(), Type: "Microsoft.ManagedIdentity/userAssignedIdentities", Location: location,
		Tags: map[string]string{}, Properties: props, State: "Succeeded", Listed: true,
		CreatedAt: at.UTC(), ChangedAt: at.UTC()}
}
