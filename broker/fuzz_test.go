package broker

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/identity"
)

// FuzzTokenQuery feeds arbitrary query strings to the broker's parsing of
// api-version and the identity selector: never a panic, and an accepted
// selector is a valid ID holding exactly the value sent.
func FuzzTokenQuery(f *testing.F) {
	for _, s := range []string{
		"api-version=2018-02-01&resource=https://management.azure.com/",
		"api-version=2019-08-01&resource=x&client_id=22222222-2222-2222-2222-222222222222",
		"object_id=22222222-2222-2222-2222-aaaaaaaaaaaa&client_id=22222222-2222-2222-2222-222222222222",
		"mi_res_id=/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app",
		"api-version=2021-12-13-preview&msi_res_id=%2Fsubscriptions%2Fx",
		"client_id=%zz&api-version=2018-02-01x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if v := q.Get("api-version"); validAPIVersion(v) {
			if _, err := time.Parse("2006-01-02", v[:10]); err != nil || v[:10] < minAPIVersion {
				t.Fatalf("accepted api-version %q", v)
			}
		}
		id, name, value, msg := parseSelector(q)
		switch {
		case msg != "":
			if name != "" || id != (identity.ID{}) {
				t.Fatalf("error %q with a selector %s", msg, name)
			}
		case name == "":
			if id.Kind() != identity.SystemAssigned {
				t.Fatalf("no selector but %s", id)
			}
		default:
			if err := id.Validate(); err != nil || id.Value() != value || q.Get(name) != value {
				t.Fatalf("accepted %s=%q as %s (%v)", name, value, id, err)
			}
			if !strings.Contains(strings.Join(selectorNames, " "), name) {
				t.Fatalf("unknown selector %q", name)
			}
		}
	})
}
