package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// ResourceType tunes one generic ARM resource type, e.g.
//
//	{"type": "Contoso.Widgets/widgets", "async": "5s", "apiVersions": ["2024-01-01"], "tracked": true}
//
// Types need no entry to be served; an entry makes PUT and DELETE
// asynchronous operations (Azure-AsyncOperation and Location, Accepted or
// Deleting for Async, then Succeeded), adds api-versions to the type's
// table (which --strict-api-versions then accepts), or requires a
// location (Tracked).
type ResourceType struct {
	Type        string   `json:"type"`
	Async       Duration `json:"async,omitempty"`
	APIVersions []string `json:"apiVersions,omitempty"`
	Tracked     bool     `json:"tracked,omitempty"`
}

// Duration is a time.Duration written as "5s", "1m30s".
type Duration time.Duration

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if len(b) < 2 || b[0] != '"' {
		return fmt.Errorf("a duration is a string such as \"5s\", not %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as \"5s\": %v", s, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Duration(d).String() + `"`), nil
}

var (
	fullTypeRE   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+(/[A-Za-z][A-Za-z0-9]{0,79}){1,8}$`)
	apiVersionRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(-[A-Za-z]{1,20})?$`)
)

// maxAsync bounds an emulated operation: clients poll for at most minutes.
const maxAsync = time.Hour

func (c *Config) checkResourceTypes() error {
	seen := map[string]int{}
	for i, t := range c.ResourceTypes {
		f := fmt.Sprintf("resourceTypes[%d]", i)
		if !fullTypeRE.MatchString(t.Type) {
			return cfgErr(f+".type", "%q is not a resource type (expected {Namespace}/{type}[/{childType}…], such as \"Contoso.Widgets/widgets\")", t.Type)
		}
		if j, dup := seen[strings.ToLower(t.Type)]; dup {
			return cfgErr(f+".type", "%q is already configured in resourceTypes[%d]", t.Type, j)
		}
		seen[strings.ToLower(t.Type)] = i
		if d := time.Duration(t.Async); d < 0 || d > maxAsync {
			return cfgErr(f+".async", "%s is out of range (0 to 1h)", d)
		}
		if t.Tracked && len(t.APIVersions) == 0 {
			return cfgErr(f+".apiVersions", "a tracked type needs its api-versions (the table its requests are checked against)")
		}
		for _, v := range t.APIVersions {
			if !apiVersionRE.MatchString(v) {
				return cfgErr(f+".apiVersions", "%q is not an api-version (YYYY-MM-DD or YYYY-MM-DD-preview)", v)
			}
		}
	}
	return nil
}
