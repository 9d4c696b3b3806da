// Package config is the emulated world as data: the tenant, the VM, its
// managed identities, the subscriptions and resource groups ARM starts
// with and the role assignments, with the JSON decoding and the validation
// of every section. Package emulator re-exports the types; the services
// read a *Config snapshot that is replaced, never modified.
package config
