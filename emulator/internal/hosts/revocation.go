package hosts

import (
	"net/url"
	"slices"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/tokens"
)

// revocationOptions reads the revocation parameters of a token request
// (protocols-2026 §23.2) on a host version that has them: xms_cc (client
// capabilities, comma-separated; cp1 puts xms_cc: ["cp1"] in a new token)
// and token_sha256_to_refresh (the hex SHA-256 of the token to replace).
// Like the real hosts, the emulator serves its cache unless the hash names
// the cached token.
func revocationOptions(q url.Values) tokens.IssueOptions {
	var o tokens.IssueOptions
	for _, c := range strings.Split(q.Get("xms_cc"), ",") {
		if strings.EqualFold(strings.TrimSpace(c), "cp1") {
			o.CP1 = true
		}
	}
	if h := strings.TrimSpace(q.Get("token_sha256_to_refresh")); isHexSHA256(h) {
		o.ReplaceSHA256 = h
	}
	return o
}

// isHexSHA256: 64 hex digits. Anything else cannot name a token, so it is
// ignored as the host ignores a hash it has no token for.
func isHexSHA256(s string) bool {
	return len(s) == 64 && !slices.ContainsFunc([]byte(s), func(c byte) bool {
		return !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F')
	})
}
