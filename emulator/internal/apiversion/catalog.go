package apiversion

import (
	"fmt"
	"slices"
	"strings"
)

// Namespace is one resource provider and the types it serves.
type Namespace struct {
	Name string // "Microsoft.KeyVault", casing as ARM lists it
	// RegistrationFree providers are always registered (ARM's
	// "RegistrationFree" policy: Microsoft.Resources, Microsoft.Authorization).
	RegistrationFree bool
	Types            []Type
}

// Type is one resource type of a namespace and the api-versions it serves.
type Type struct {
	Name         string   // without the namespace: "vaults", "userAssignedIdentities/federatedIdentityCredentials"
	Versions     []string // any order in a literal; newest first once in a Catalog
	Tracked      bool     // takes a location; listed by /resources
	Capabilities string   // ProviderResourceType.capabilities

	parsed []Version // Versions parsed, newest first
}

// Newest is the type's newest version, preview or not.
func (t *Type) Newest() string { return t.Versions[0] }

// Default is the newest stable version (ProviderResourceType's
// defaultApiVersion), or the newest when all are previews.
func (t *Type) Default() string {
	for _, v := range t.parsed {
		if v.Stable() {
			return v.String()
		}
	}
	return t.Versions[0]
}

// Catalog is the set of known namespaces and types, read-only once built.
type Catalog struct {
	namespaces []*Namespace
	byNS       map[string]*Namespace // lower-case namespace
	byType     map[string]*Type      // lower-case "ns/type"
	oldest     Version               // for types without a table
	locations  []string              // display names of the regions tracked types serve
}

// Builtin returns the emulator's built-in catalog; locations are the
// display names of the regions tracked types are offered in.
func Builtin(locations []string, extra ...Namespace) (*Catalog, error) {
	return New(locations, builtin(), extra...)
}

// MustBuiltin is Builtin without extra namespaces, for tests and defaults.
func MustBuiltin(locations []string) *Catalog {
	c, err := New(locations, builtin())
	if err != nil {
		panic(err) // the built-in tables are tested
	}
	return c
}

// New builds a catalog. Every type needs at least one well-formed version;
// extra (for example from the emulator's config) are merged into builtin
// namespaces and types with the same name.
func New(locations []string, namespaces []Namespace, extra ...Namespace) (*Catalog, error) {
	c := &Catalog{byNS: map[string]*Namespace{}, byType: map[string]*Type{}, oldest: MustParse(defaultOldest), locations: locations}
	for _, ns := range append(slices.Clone(namespaces), extra...) {
		if err := c.add(ns); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Catalog) add(in Namespace) error {
	if in.Name == "" {
		return fmt.Errorf("apiversion: a namespace has no name")
	}
	ns := c.byNS[strings.ToLower(in.Name)]
	if ns == nil {
		ns = &Namespace{Name: in.Name, RegistrationFree: in.RegistrationFree}
		c.byNS[strings.ToLower(in.Name)] = ns
		c.namespaces = append(c.namespaces, ns)
	}
	for _, t := range in.Types {
		if t.Name == "" || len(t.Versions) == 0 {
			return fmt.Errorf("apiversion: type %q of %s needs a name and at least one api-version", t.Name, in.Name)
		}
		key := strings.ToLower(in.Name + "/" + t.Name)
		have := c.byType[key]
		if have == nil {
			ns.Types = append(ns.Types, Type{Name: t.Name, Tracked: t.Tracked, Capabilities: t.Capabilities})
			have = &ns.Types[len(ns.Types)-1]
			// ns.Types may grow: index by position after all are added.
		}
		for _, s := range t.Versions {
			v, err := Parse(s)
			if err != nil {
				return fmt.Errorf("apiversion: %s/%s: %v", in.Name, t.Name, err)
			}
			if !slices.ContainsFunc(have.parsed, func(x Version) bool { return x.Compare(v) == 0 }) {
				have.parsed = append(have.parsed, v)
			}
		}
		slices.SortFunc(have.parsed, func(a, b Version) int { return b.Compare(a) })
		have.Versions = have.Versions[:0]
		for _, v := range have.parsed {
			have.Versions = append(have.Versions, v.String())
		}
		c.reindex(ns)
	}
	return nil
}

// reindex points byType at ns.Types' current backing array.
func (c *Catalog) reindex(ns *Namespace) {
	for i := range ns.Types {
		c.byType[strings.ToLower(ns.Name+"/"+ns.Types[i].Name)] = &ns.Types[i]
	}
}

// Locations are the display names of the regions tracked types serve.
func (c *Catalog) Locations() []string { return c.locations }

// Namespaces returns the known namespaces in table order.
func (c *Catalog) Namespaces() []*Namespace { return c.namespaces }

// Namespace finds a namespace, case-insensitively.
func (c *Catalog) Namespace(name string) (*Namespace, bool) {
	ns, ok := c.byNS[strings.ToLower(name)]
	return ns, ok
}

// Lookup finds a full type ("Microsoft.KeyVault/vaults"), case-insensitively.
func (c *Catalog) Lookup(fullType string) (*Type, bool) {
	t, ok := c.byType[strings.ToLower(fullType)]
	return t, ok
}
