package emulator

import "strings"

// EnvVar is one environment variable a client process needs to use the
// emulator.
type EnvVar struct {
	Name, Value string
}

// Env returns the variables that point unmodified clients at the emulator:
// AZURE_POD_IDENTITY_AUTHORITY_HOST (the IMDS base URL, honoured by the
// Azure SDKs and azmsi), AZMSI_ARM_ENDPOINT and AZMSI_KEYVAULT_DNS_SUFFIX
// (".vault.localhost:PORT", the vaults' suffix; both when ARM is served), and
// SSL_CERT_FILE / REQUESTS_CA_BUNDLE naming the CA file so Go and Python
// clients trust the ARM certificate. When Options.Hosts lists a non-IMDS
// host, the first one listed is the one clients detect: its variables
// (HostEnv) are included, and they take precedence over the IMDS override in
// every client's detection order.
func (s *Server) Env() []EnvVar {
	var out []EnvVar
	if s.imdsURL != "" {
		out = append(out, EnvVar{"AZURE_POD_IDENTITY_AUTHORITY_HOST", s.imdsURL})
	}
	if s.armURL != "" {
		out = append(out, EnvVar{"AZMSI_ARM_ENDPOINT", s.armURL}, EnvVar{VaultSuffixEnv, s.VaultSuffix()})
	}
	if h := s.primaryHost(); h != "" {
		out = append(out, s.HostEnv(h)...)
	}
	if f := s.CACertFile(); f != "" {
		out = append(out, EnvVar{"SSL_CERT_FILE", f}, EnvVar{"REQUESTS_CA_BUNDLE", f})
	}
	return out
}

// EnvFile renders Env as POSIX shell lines, "export NAME='value'", for
// `eval` or `source`.
func (s *Server) EnvFile() string {
	var b strings.Builder
	for _, v := range s.Env() {
		b.WriteString("export ")
		b.WriteString(v.Name)
		b.WriteByte('=')
		b.WriteString(shellQuote(v.Value))
		b.WriteByte('\n')
	}
	return b.String()
}

// shellQuote single-quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
