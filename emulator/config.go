package emulator

import (
	"fmt"
	"io"
	"os"

	"github.com/azmsi/azmsi/emulator/internal/config"
)

// The configuration types live in internal/config, where every service
// reads them; these aliases are the public names.
type (
	// Config is the emulated world: one tenant, the VM the emulator
	// pretends to be, the managed identities assigned to it, the
	// subscriptions and resource groups ARM knows, and which identity may do
	// what where. Its JSON form is the file accepted by LoadConfig (see
	// DefaultConfig).
	Config = config.Config
	// Instance describes the emulated virtual machine (IMDS compute metadata).
	Instance = config.Instance
	// Identity is a managed identity assigned to the VM.
	Identity = config.Identity
	// Subscription is an ARM subscription and its initial resource groups.
	Subscription = config.Subscription
	// ResourceGroup is an initial resource group of a subscription.
	ResourceGroup = config.ResourceGroup
	// RoleAssignment grants Role to the identity named Identity at Scope.
	RoleAssignment = config.RoleAssignment
	// FederatedCredential lets AKS workload identity exchange a cluster's
	// service-account token for a user-assigned identity's (HostWorkload).
	FederatedCredential = config.FederatedCredential
	// ResourceType tunes a generic ARM resource type: asynchronous PUT and
	// DELETE, extra api-versions, a required location.
	ResourceType = config.ResourceType
	// Duration is a time.Duration written as "5s" in the config file.
	Duration = config.Duration
	// HostSettings fixes a non-IMDS host's address, secret and (Service
	// Fabric) certificate across restarts (the config's "hosts").
	HostSettings = config.HostSettings
)

// Identity kinds.
const (
	KindSystem = config.KindSystem
	KindUser   = config.KindUser
)

// MaxConfigSize caps a configuration file or a POST /_emulator/config body.
const MaxConfigSize = config.MaxSize

// DefaultConfig returns a fresh copy of the embedded default configuration
// (emulator/internal/config/default.json).
func DefaultConfig() *Config { return config.Default() }

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
func ParseConfig(data []byte) (*Config, error) { return config.Parse(data) }

// ParseScope splits a role-assignment scope, /subscriptions/{id} or
// /subscriptions/{id}/resourceGroups/{name} (keywords case-insensitive), into
// its subscription id and resource group ("" for a subscription scope).
func ParseScope(scope string) (subscriptionID, resourceGroup string, err error) {
	return config.ParseScope(scope)
}
