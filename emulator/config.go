package emulator

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
)

// MaxConfigSize caps a configuration file or a POST /_emulator/config body.
// Real configurations are a few kilobytes; the cap keeps a wrong path (a
// disk image, /dev/zero) from exhausting memory.
const MaxConfigSize = 1 << 20

//go:embed default.json
var defaultConfigJSON []byte

// Config is the emulated world: one tenant, the VM the emulator pretends to
// be, the managed identities assigned to it, the subscriptions and resource
// groups ARM knows, and which identity may do what where. Its JSON form is
// the file accepted by LoadConfig (see default.json).
type Config struct {
	TenantID        string           `json:"tenantId"`
	Instance        Instance         `json:"instance"`
	Identities      []Identity       `json:"identities"`
	Subscriptions   []Subscription   `json:"subscriptions"`
	RoleAssignments []RoleAssignment `json:"roleAssignments"`
}

// Instance describes the emulated virtual machine (IMDS compute metadata).
type Instance struct {
	SubscriptionID    string            `json:"subscriptionId"`
	ResourceGroupName string            `json:"resourceGroupName"`
	Name              string            `json:"name"`
	Location          string            `json:"location"`
	VMID              string            `json:"vmId"`
	Tags              map[string]string `json:"tags,omitempty"`
}

// ResourceID is the VM's ARM id, as IMDS reports it in compute/resourceId.
func (in Instance) ResourceID() string {
	return "/subscriptions/" + in.SubscriptionID + "/resourceGroups/" + in.ResourceGroupName +
		"/providers/Microsoft.Compute/virtualMachines/" + in.Name
}

// Identity kinds.
const (
	KindSystem = "system"
	KindUser   = "user"
)

// Identity is a managed identity assigned to the VM. For the system-assigned
// identity ResourceID is derived from the instance (the VM's ARM id) when the
// file leaves it empty.
type Identity struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	ClientID   string `json:"clientId"`
	ObjectID   string `json:"objectId"`
	ResourceID string `json:"resourceId,omitempty"`
}

// Subscription is an ARM subscription and its initial resource groups.
type Subscription struct {
	SubscriptionID string          `json:"subscriptionId"`
	DisplayName    string          `json:"displayName"`
	State          string          `json:"state"`
	ResourceGroups []ResourceGroup `json:"resourceGroups"`
}

// ResourceGroup is an initial resource group of a subscription.
type ResourceGroup struct {
	Name     string            `json:"name"`
	Location string            `json:"location"`
	Tags     map[string]string `json:"tags,omitempty"`
}

// RoleAssignment grants Role to the identity named Identity at Scope
// (/subscriptions/{id} or /subscriptions/{id}/resourceGroups/{name}).
type RoleAssignment struct {
	Identity string `json:"identity"`
	Scope    string `json:"scope"`
	Role     string `json:"role"`
}

// Roles the emulator knows, in increasing power.
var knownRoles = []string{"Reader", "Contributor", "Owner"}

// Subscription states ARM reports.
var knownStates = []string{"Enabled", "Warned", "PastDue", "Disabled", "Deleted"}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// uamiRE is the exact user-assigned identity id grammar (protocols.md §13);
// keywords are matched case-insensitively.
var uamiRE = regexp.MustCompile(`(?i)^/subscriptions/([^/]+)/resourcegroups/([^/]+)/providers/Microsoft\.ManagedIdentity/userAssignedIdentities/([^/]+)$`)

var uamiNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$`)

// DefaultConfig returns a fresh copy of the embedded default configuration
// (emulator/default.json).
func DefaultConfig() *Config {
	c, err := ParseConfig(defaultConfigJSON)
	if err != nil {
		// default.json is embedded and covered by tests; failing here is a
		// build defect, not a runtime condition.
		panic("emulator: embedded default.json is invalid: " + err.Error())
	}
	return c
}

// LoadConfig reads and validates a configuration file.
func LoadConfig(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("emulator config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("emulator config %s: %w", path, err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig decodes and validates a configuration. Unknown fields are
// rejected so that a typo does not silently fall back to a default (field
// names match case-insensitively, as encoding/json does).
func ParseConfig(data []byte) (*Config, error) {
	if len(data) > MaxConfigSize {
		return nil, fmt.Errorf("emulator config: larger than %d bytes; is this the right file?", MaxConfigSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("emulator config: invalid JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("emulator config: unexpected data after the JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("emulator config: unexpected data after the JSON object")
	}
	if err := c.normalize(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate reports the first problem of c, naming the field and what is
// expected. It does not modify c.
func (c *Config) Validate() error {
	cp := c.clone()
	return cp.normalize()
}

func cfgErr(field, format string, args ...any) error {
	return fmt.Errorf("emulator config: %s: %s", field, fmt.Sprintf(format, args...))
}

// normalize validates c and fills derived values (the system identity's
// resource id, a default subscription state).
func (c *Config) normalize() error {
	if !guidRE.MatchString(c.TenantID) {
		return cfgErr("tenantId", "%q is not a GUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", c.TenantID)
	}
	in := &c.Instance
	if !guidRE.MatchString(in.SubscriptionID) {
		return cfgErr("instance.subscriptionId", "%q is not a GUID", in.SubscriptionID)
	}
	if err := checkRGName(in.ResourceGroupName); err != nil {
		return cfgErr("instance.resourceGroupName", "%v", err)
	}
	if in.Name == "" || strings.ContainsAny(in.Name, "/?#%") || len(in.Name) > 64 {
		return cfgErr("instance.name", "%q is not a VM name (1-64 characters, no / ? # %%)", in.Name)
	}
	if err := checkLocation(in.Location); err != nil {
		return cfgErr("instance.location", "%v", err)
	}
	if !guidRE.MatchString(in.VMID) {
		return cfgErr("instance.vmId", "%q is not a GUID", in.VMID)
	}
	if err := checkTags(in.Tags); err != nil {
		return cfgErr("instance.tags", "%v", err)
	}
	if len(in.Tags) == 0 {
		in.Tags = nil // "tags": {} and no tags are the same
	}

	if len(c.Identities) == 0 {
		return cfgErr("identities", "at least one identity is required")
	}
	names := map[string]int{}
	clientIDs := map[string]int{}
	objectIDs := map[string]int{}
	resIDs := map[string]int{}
	system := -1
	for i := range c.Identities {
		id := &c.Identities[i]
		f := fmt.Sprintf("identities[%d]", i)
		if id.Name == "" {
			return cfgErr(f+".name", "required (a short name that roleAssignments refer to)")
		}
		f = fmt.Sprintf("identities[%d] (%q)", i, id.Name)
		if j, dup := names[id.Name]; dup {
			return cfgErr(f+".name", "duplicate of identities[%d]; names must be unique", j)
		}
		names[id.Name] = i
		if !guidRE.MatchString(id.ClientID) {
			return cfgErr(f+".clientId", "%q is not a GUID", id.ClientID)
		}
		if j, dup := clientIDs[strings.ToLower(id.ClientID)]; dup {
			return cfgErr(f+".clientId", "%s is also the clientId of identities[%d]; client ids must be unique", id.ClientID, j)
		}
		clientIDs[strings.ToLower(id.ClientID)] = i
		if !guidRE.MatchString(id.ObjectID) {
			return cfgErr(f+".objectId", "%q is not a GUID", id.ObjectID)
		}
		if j, dup := objectIDs[strings.ToLower(id.ObjectID)]; dup {
			return cfgErr(f+".objectId", "%s is also the objectId of identities[%d]; object ids must be unique", id.ObjectID, j)
		}
		objectIDs[strings.ToLower(id.ObjectID)] = i
		switch id.Kind {
		case KindSystem:
			if system >= 0 {
				return cfgErr(f+".kind", "identities[%d] is already the system-assigned identity; a VM has at most one", system)
			}
			system = i
			vm := in.ResourceID()
			if id.ResourceID != "" && !strings.EqualFold(id.ResourceID, vm) {
				return cfgErr(f+".resourceId", "a system-assigned identity's resource id is the VM's (%s); leave it empty", vm)
			}
			id.ResourceID = vm
		case KindUser:
			m := uamiRE.FindStringSubmatch(id.ResourceID)
			if m == nil {
				return cfgErr(f+".resourceId", "%q is not a user-assigned identity id (expected /subscriptions/{guid}/resourceGroups/{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name})", id.ResourceID)
			}
			if !guidRE.MatchString(m[1]) {
				return cfgErr(f+".resourceId", "subscription %q in the id is not a GUID", m[1])
			}
			if err := checkRGName(m[2]); err != nil {
				return cfgErr(f+".resourceId", "resource group in the id: %v", err)
			}
			if !uamiNameRE.MatchString(m[3]) {
				return cfgErr(f+".resourceId", "identity name %q in the id must be 3-128 letters, digits, '-' or '_', starting with a letter or digit", m[3])
			}
		default:
			return cfgErr(f+".kind", "%q is not a kind (expected \"system\" or \"user\")", id.Kind)
		}
		key := strings.ToLower(id.ResourceID)
		if j, dup := resIDs[key]; dup {
			return cfgErr(f+".resourceId", "same resource id as identities[%d]", j)
		}
		resIDs[key] = i
	}

	subs := map[string]*Subscription{}
	for i := range c.Subscriptions {
		s := &c.Subscriptions[i]
		f := fmt.Sprintf("subscriptions[%d]", i)
		if !guidRE.MatchString(s.SubscriptionID) {
			return cfgErr(f+".subscriptionId", "%q is not a GUID", s.SubscriptionID)
		}
		key := strings.ToLower(s.SubscriptionID)
		if _, dup := subs[key]; dup {
			return cfgErr(f+".subscriptionId", "%s is listed twice", s.SubscriptionID)
		}
		subs[key] = s
		if strings.TrimSpace(s.DisplayName) == "" {
			return cfgErr(f+".displayName", "required")
		}
		if s.State == "" {
			s.State = "Enabled"
		}
		if !contains(knownStates, s.State) {
			return cfgErr(f+".state", "%q is not a subscription state (expected one of %s)", s.State, strings.Join(knownStates, ", "))
		}
		groups := map[string]int{}
		for j, g := range s.ResourceGroups {
			gf := fmt.Sprintf("%s.resourceGroups[%d]", f, j)
			if err := checkRGName(g.Name); err != nil {
				return cfgErr(gf+".name", "%v", err)
			}
			if k, dup := groups[strings.ToLower(g.Name)]; dup {
				return cfgErr(gf+".name", "%q duplicates resourceGroups[%d] (names are case-insensitive)", g.Name, k)
			}
			groups[strings.ToLower(g.Name)] = j
			if err := checkLocation(g.Location); err != nil {
				return cfgErr(gf+".location", "%v", err)
			}
			if err := checkTags(g.Tags); err != nil {
				return cfgErr(gf+".tags", "%v", err)
			}
			if len(g.Tags) == 0 {
				s.ResourceGroups[j].Tags = nil
			}
		}
	}

	seen := map[RoleAssignment]int{}
	for i, ra := range c.RoleAssignments {
		f := fmt.Sprintf("roleAssignments[%d]", i)
		if _, ok := names[ra.Identity]; !ok {
			return cfgErr(f+".identity", "%q names no identity (expected one of %s)", ra.Identity, strings.Join(sortedKeys(names), ", "))
		}
		if !contains(knownRoles, ra.Role) {
			return cfgErr(f+".role", "%q is not a role (expected one of %s)", ra.Role, strings.Join(knownRoles, ", "))
		}
		sub, _, err := ParseScope(ra.Scope)
		if err != nil {
			return cfgErr(f+".scope", "%v", err)
		}
		if _, ok := subs[strings.ToLower(sub)]; !ok {
			return cfgErr(f+".scope", "subscription %s is not in subscriptions", sub)
		}
		key := RoleAssignment{Identity: ra.Identity, Scope: strings.ToLower(ra.Scope), Role: ra.Role}
		if j, dup := seen[key]; dup {
			return cfgErr(f, "duplicates roleAssignments[%d]", j)
		}
		seen[key] = i
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// clone returns a deep copy, so that a snapshot handed out cannot be changed
// by its receiver.
func (c *Config) clone() *Config {
	cp := *c
	cp.Instance.Tags = cloneTags(c.Instance.Tags)
	cp.Identities = append([]Identity(nil), c.Identities...)
	cp.Subscriptions = make([]Subscription, len(c.Subscriptions))
	for i, s := range c.Subscriptions {
		s.ResourceGroups = append([]ResourceGroup(nil), s.ResourceGroups...)
		for j := range s.ResourceGroups {
			s.ResourceGroups[j].Tags = cloneTags(s.ResourceGroups[j].Tags)
		}
		cp.Subscriptions[i] = s
	}
	if c.Subscriptions == nil {
		cp.Subscriptions = nil
	}
	cp.RoleAssignments = append([]RoleAssignment(nil), c.RoleAssignments...)
	return &cp
}

func cloneTags(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// SystemIdentity returns the system-assigned identity, if any.
func (c *Config) SystemIdentity() *Identity {
	for i := range c.Identities {
		if c.Identities[i].Kind == KindSystem {
			return &c.Identities[i]
		}
	}
	return nil
}

// IdentityByObjectID finds an identity by object (principal) id.
func (c *Config) IdentityByObjectID(oid string) *Identity {
	for i := range c.Identities {
		if strings.EqualFold(c.Identities[i].ObjectID, oid) {
			return &c.Identities[i]
		}
	}
	return nil
}

// IdentityByName finds an identity by its configured name.
func (c *Config) IdentityByName(name string) *Identity {
	for i := range c.Identities {
		if c.Identities[i].Name == name {
			return &c.Identities[i]
		}
	}
	return nil
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
