package config

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"sort"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/roles"
)

// MaxSize caps a configuration file or a POST /_emulator/config body.
// Real configurations are a few kilobytes; the cap keeps a wrong path (a
// disk image, /dev/zero) from exhausting memory.
const MaxSize = 1 << 20

// Config is the emulated world: one tenant, the VM the emulator pretends to
// be, the managed identities assigned to it, the subscriptions and resource
// groups ARM knows, and which identity may do what where. Its JSON form is
// the file accepted by emulator.LoadConfig (see default.json).
type Config struct {
	TenantID        string           `json:"tenantId"`
	Instance        Instance         `json:"instance"`
	Identities      []Identity       `json:"identities"`
	Subscriptions   []Subscription   `json:"subscriptions"`
	RoleAssignments []RoleAssignment `json:"roleAssignments"`
	// ResourceTypes tunes generic ARM resource types (resourcetypes.go).
	ResourceTypes []ResourceType `json:"resourceTypes,omitempty"`
	// Hosts fixes the address and secret of non-IMDS hosts (hosts.go).
	Hosts map[string]HostSettings `json:"hosts,omitempty"`
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
	// FederatedCredentials (user-assigned only) let AKS workload identity
	// exchange a cluster's service-account token for this identity's.
	FederatedCredentials []FederatedCredential `json:"federatedCredentials,omitempty"`
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

// RoleAssignment grants Role (a built-in role's name) to the identity named
// Identity at Scope: a subscription, resource group or resource id.
type RoleAssignment struct {
	Identity string `json:"identity"`
	Scope    string `json:"scope"`
	Role     string `json:"role"`
}

// KnownRoles are the built-in roles a configuration may assign, by name.
var KnownRoles = builtInRoleNames()

func builtInRoleNames() []string {
	var out []string
	for _, d := range roles.BuiltInRoles() {
		out = append(out, d.RoleName)
	}
	return out
}

// Subscription states ARM reports.
var knownStates = []string{"Enabled", "Warned", "PastDue", "Disabled", "Deleted"}

var GUID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// uamiRE is the exact user-assigned identity id grammar (protocols.md §13);
// keywords are matched case-insensitively.
var uamiRE = regexp.MustCompile(`(?i)^/subscriptions/([^/]+)/resourcegroups/([^/]+)/providers/Microsoft\.ManagedIdentity/userAssignedIdentities/([^/]+)$`)

var uamiNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$`)

//go:embed default.json
var defaultJSON []byte

// Default returns a fresh copy of the embedded default configuration
// (default.json next to this file).
func Default() *Config {
	c, err := Parse(defaultJSON)
	if err != nil {
		// default.json is embedded and covered by tests; failing here is a
		// build defect, not a runtime condition.
		panic("emulator: embedded default.json is invalid: " + err.Error())
	}
	return c
}

// Parse decodes and validates a configuration. Unknown fields are
// rejected so that a typo does not silently fall back to a default (field
// names match case-insensitively, as encoding/json does).
func Parse(data []byte) (*Config, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("emulator config: larger than %d bytes; is this the right file?", MaxSize)
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
	if err := checkDuplicateKeys(data); err != nil {
		return nil, err
	}
	if err := c.Normalize(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate reports the first problem of c, naming the field and what is
// expected. It does not modify c.
func (c *Config) Validate() error {
	cp := c.Clone()
	return cp.Normalize()
}

// Clone returns a deep copy, so that a snapshot handed out cannot be changed
// by its receiver.
func (c *Config) Clone() *Config {
	cp := *c
	cp.Instance.Tags = maps.Clone(c.Instance.Tags)
	cp.Identities = append([]Identity(nil), c.Identities...)
	cloneFederated(cp.Identities)
	cp.Subscriptions = make([]Subscription, len(c.Subscriptions))
	for i, s := range c.Subscriptions {
		s.ResourceGroups = append([]ResourceGroup(nil), s.ResourceGroups...)
		for j := range s.ResourceGroups {
			s.ResourceGroups[j].Tags = maps.Clone(s.ResourceGroups[j].Tags)
		}
		cp.Subscriptions[i] = s
	}
	if c.Subscriptions == nil {
		cp.Subscriptions = nil
	}
	cp.RoleAssignments = append([]RoleAssignment(nil), c.RoleAssignments...)
	cp.Hosts = maps.Clone(c.Hosts)
	if c.ResourceTypes != nil {
		cp.ResourceTypes = make([]ResourceType, len(c.ResourceTypes))
		for i, t := range c.ResourceTypes {
			t.APIVersions = append([]string(nil), t.APIVersions...)
			cp.ResourceTypes[i] = t
		}
	}
	return &cp
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
