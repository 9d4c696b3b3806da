package config

import (
	"strings"
	"testing"
	"time"
)

func TestResourceTypesSection(t *testing.T) {
	good := `"resourceTypes":[{"type":"Contoso.Widgets/widgets","async":"5s","apiVersions":["2024-01-01","2025-01-01-preview"],"tracked":true}]`
	c, err := Parse([]byte(withSection(t, good)))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ResourceTypes) != 1 || time.Duration(c.ResourceTypes[0].Async) != 5*time.Second || !c.ResourceTypes[0].Tracked {
		t.Fatalf("parsed %+v", c.ResourceTypes)
	}
	cl := c.Clone()
	cl.ResourceTypes[0].APIVersions[0] = "changed"
	if c.ResourceTypes[0].APIVersions[0] != "2024-01-01" {
		t.Error("Clone shares apiVersions")
	}
	for name, bad := range map[string]string{
		"bad type":      `"resourceTypes":[{"type":"widgets"}]`,
		"duplicate":     `"resourceTypes":[{"type":"A.B/c"},{"type":"a.b/C"}]`,
		"bad duration":  `"resourceTypes":[{"type":"A.B/c","async":"soon"}]`,
		"number":        `"resourceTypes":[{"type":"A.B/c","async":5}]`,
		"too long":      `"resourceTypes":[{"type":"A.B/c","async":"2h"}]`,
		"bad version":   `"resourceTypes":[{"type":"A.B/c","apiVersions":["v1"]}]`,
		"unknown field": `"resourceTypes":[{"type":"A.B/c","asynch":"1s"}]`,
	} {
		if _, err := Parse([]byte(withSection(t, bad))); err == nil || !strings.Contains(err.Error(), "resourceTypes") && !strings.Contains(err.Error(), "asynch") && !strings.Contains(err.Error(), "duration") {
			t.Errorf("%s: accepted or unclear error: %v", name, err)
		}
	}
}

// withSection adds one top-level member to the default configuration.
func withSection(t *testing.T, member string) string {
	t.Helper()
	def := strings.TrimSpace(string(defaultJSON))
	return def[:len(def)-1] + "," + member + "}"
}
