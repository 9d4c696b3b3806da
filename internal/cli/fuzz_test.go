package cli

import (
	"strings"
	"testing"
)

// FuzzIdentityFlag: any flag value either resolves to that exact
// user-assigned identity or is a usage error; never a panic, never a
// silent system-assigned identity.
func FuzzIdentityFlag(f *testing.F) {
	for _, s := range []string{"", contributorID, zeroGUID, "<client-id>", "/subscriptions/x", "…", "22222222-2222-2222-2222-22222222222g"} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, v string, which uint8) {
		var cf clientFlags
		switch which % 3 {
		case 0:
			cf.clientID.Set(v)
		case 1:
			cf.objectID.Set(v)
		default:
			cf.resourceID.Set(v)
		}
		id, err := resolveIdentity(cf, func(string) (string, bool) { return "", false })
		if err != nil {
			if exitCode(err) != ExitUsage {
				t.Fatalf("%q: exit %d for %v", v, exitCode(err), err)
			}
			return
		}
		if !id.IsUserAssigned() || id.Value() != strings.TrimSpace(v) {
			t.Fatalf("%q resolved to %v", v, id)
		}
	})
}

// FuzzParseTags: every accepted tag has a non-empty name.
func FuzzParseTags(f *testing.F) {
	for _, s := range []string{"a=b", "=", "k", "k==v", "a=b=c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tags, err := parseTags([]string{s})
		if err != nil {
			if exitCode(err) != ExitUsage {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		for k := range tags {
			if strings.TrimSpace(k) == "" {
				t.Fatalf("%q gave an empty tag name", s)
			}
		}
	})
}
