package keyvault

import (
	"net"
	"strings"
)

// Host suffixes that name a vault, and the token resource each family's
// challenge announces.
const (
	PublicSuffix     = ".vault.azure.net"
	LoopbackSuffix   = ".vault.localhost"
	PublicResource   = "https://vault.azure.net"
	loopbackResource = "https://vault.localhost"
)

// vaultHost is a request's Host header parsed into the vault it names.
type vaultHost struct {
	vault     string // lower case
	authority string // host[:port] as the client addressed it, lower case, for ids and nextLinks
	resource  string // resource announced in the challenge
	audiences []string
}

// VaultName returns the vault a Host header names, in either form, so a
// router can tell vault traffic from other traffic. ok is false when host
// is not a vault host or the name breaks Key Vault's naming rules.
func VaultName(host string) (name string, ok bool) {
	h, ok := parseVaultHost(host)
	return h.vault, ok
}

// parseVaultHost accepts "{vault}.vault.azure.net[:port]" and
// "{vault}.vault.localhost[:port]" (case-insensitive, a trailing dot
// allowed).
func parseVaultHost(host string) (vaultHost, bool) {
	host = strings.ToLower(strings.TrimSpace(host))
	name, port := host, ""
	if h, p, err := net.SplitHostPort(host); err == nil {
		name, port = h, p
	} else if strings.Contains(host, ":") {
		return vaultHost{}, false
	}
	name = strings.TrimSuffix(name, ".")
	authority := name
	if port != "" {
		authority += ":" + port
	}
	switch {
	case strings.HasSuffix(name, PublicSuffix):
		v := strings.TrimSuffix(name, PublicSuffix)
		if !validVaultName(v) {
			return vaultHost{}, false
		}
		if port == "443" {
			authority = name
		}
		// Key Vault accepting the trailing-slash audience is unverified.
		return vaultHost{vault: v, authority: authority, resource: PublicResource,
			audiences: []string{PublicResource, PublicResource + "/"}}, true
	case strings.HasSuffix(name, LoopbackSuffix):
		v := strings.TrimSuffix(name, LoopbackSuffix)
		if !validVaultName(v) {
			return vaultHost{}, false
		}
		res := loopbackResource
		if port != "" {
			res += ":" + port
		}
		// A token for the public audience is accepted too, so a client that
		// asks for https://vault.azure.net without reading the challenge
		// (curl, azmsi) works against the loopback form.
		return vaultHost{vault: v, authority: authority, resource: res,
			audiences: []string{res, res + "/", PublicResource, PublicResource + "/"}}, true
	}
	return vaultHost{}, false
}

// validVaultName: 3–24 characters of letters, digits and '-', starting
// with a letter, not ending with '-', no "--" (Learn naming rules;
// unverified in detail).
func validVaultName(v string) bool {
	if len(v) < 3 || len(v) > 24 || v[len(v)-1] == '-' || strings.Contains(v, "--") {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case (c >= '0' && c <= '9') || c == '-':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}
