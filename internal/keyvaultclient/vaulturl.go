package keyvaultclient

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/azmsi/azmsi/internal/azhttp"
)

// Resource is the token audience of Key Vault in the public cloud.
const Resource = "https://vault.azure.net"

// PublicSuffix is the DNS suffix of vaults in the public cloud.
const PublicSuffix = ".vault.azure.net"

// SuffixEnv names the variable that replaces PublicSuffix when building a
// vault URL from a name (the emulator sets ".vault.localhost:PORT").
const SuffixEnv = "AZMSI_KEYVAULT_DNS_SUFFIX"

// AllowedHost reports whether a Key Vault token may be sent to host
// (host[:port]): a vault under .vault.azure.net on port 443, or a vault
// under suffix (host[:port] as configured), such as the emulator's.
func AllowedHost(host, suffix string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	name, port := host, ""
	if h, p, err := net.SplitHostPort(host); err == nil {
		name, port = h, p
	}
	if strings.HasSuffix(name, PublicSuffix) && len(name) > len(PublicSuffix) && (port == "" || port == "443") {
		return validLabel(strings.TrimSuffix(name, PublicSuffix))
	}
	suffix = strings.ToLower(suffix)
	if suffix != "" && suffix != PublicSuffix && strings.HasPrefix(suffix, ".") && strings.HasSuffix(host, suffix) {
		return validLabel(strings.TrimSuffix(host, suffix))
	}
	return false
}

// validLabel: one DNS label of letters, digits and '-' (a vault name).
func validLabel(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// vaultURL turns --vault (a name or an https URL) into the vault's base URL.
func vaultURL(vault, suffix string) (*url.URL, error) {
	vault = strings.TrimSpace(vault)
	if vault == "" {
		return nil, fmt.Errorf("no vault: pass a vault name (e.g. kv1) or its URL (https://kv1%s)", PublicSuffix)
	}
	if strings.Contains(vault, "://") {
		u, err := url.Parse(vault)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("vault URL %q is not of the form https://NAME%s", clip(vault), PublicSuffix)
		}
		if !AllowedHost(u.Host, suffix) {
			return nil, fmt.Errorf("%q is not a Key Vault host (it must end with %s%s): azmsi sends a vault token nowhere else", clip(u.Host), PublicSuffix, suffixHint(suffix))
		}
		return &url.URL{Scheme: "https", Host: strings.ToLower(u.Host)}, nil
	}
	if !vaultName(vault) {
		return nil, fmt.Errorf("%q is not a vault name: 3-24 letters, digits and '-', starting with a letter", clip(vault))
	}
	if suffix == "" {
		suffix = PublicSuffix
	}
	if !strings.HasPrefix(suffix, ".") {
		return nil, fmt.Errorf("$%s=%q must start with a dot, e.g. %s", SuffixEnv, clip(suffix), PublicSuffix)
	}
	host := strings.ToLower(vault) + strings.ToLower(suffix)
	if !AllowedHost(host, suffix) {
		return nil, fmt.Errorf("$%s=%q does not make a valid host", SuffixEnv, clip(suffix))
	}
	return &url.URL{Scheme: "https", Host: host}, nil
}

func suffixHint(suffix string) string {
	if suffix == "" || suffix == PublicSuffix {
		return ""
	}
	return " or " + suffix
}

// vaultName: 3–24 characters of letters, digits and '-', starting with a
// letter, not ending with '-', no "--".
func vaultName(v string) bool {
	if len(v) < 3 || len(v) > 24 || v[len(v)-1] == '-' || strings.Contains(v, "--") {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if i == 0 && !letter || !(letter || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// secretName: 1–127 characters of [0-9a-zA-Z-].
func secretName(s string) bool {
	if len(s) == 0 || len(s) > 127 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// clip bounds what an error repeats of the caller's input.
func clip(s string) string { return azhttp.Clip(s, 100) }
