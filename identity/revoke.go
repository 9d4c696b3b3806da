package identity

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
)

// Token revocation on the host (protocols-2026 §23.2). A managed-identity
// endpoint caches the tokens it hands out (up to 24 h), so asking again
// after a resource rejected a token (a claims challenge: revoked, or a
// permission changed) returns the same token. Hosts that implement the
// revocation parameters replace it when the request carries
//
//	xms_cc=cp1                       the client handles claims challenges
//	token_sha256_to_refresh=<hex>    lower-case hex SHA-256 of the rejected token
//
// and only then: without the hash the host serves its cache. Hosts
// without them get a plain request that skips this package's cache, as
// every forced refresh does.

// clientCapabilities is the xms_cc value: "cp1" declares that the client
// can answer claims challenges, which azmsi's callers (arm, azcompat) do.
const clientCapabilities = "cp1"

// tokenSHA256Hex is the token_sha256_to_refresh of an access token:
// SHA-256 of its UTF-8 bytes as 64 lower-case hex digits, as MSAL.NET's
// CreateSha256HashHex computes it.
func tokenSHA256Hex(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return hex.EncodeToString(sum[:])
}

// revocationQuery is the query parameters of a revocation request;
// rejectedSHA256 is "" when no rejected token is known (MSAL then sends
// xms_cc alone).
func revocationQuery(rejectedSHA256 string) map[string]string {
	q := map[string]string{"xms_cc": clientCapabilities}
	if rejectedSHA256 != "" {
		q["token_sha256_to_refresh"] = rejectedSHA256
	}
	return q
}

// refusesAPIVersion reports an answer that refuses the request's
// api-version: a 400 whose body names the api-version. How Service Fabric
// and App Service word that refusal is unverified (protocols-2026 U23-1,
// U23-2); both put the reason in the body's message, so the name of the
// parameter is what is matched.
func refusesAPIVersion(ex *exchange) bool {
	if ex == nil || ex.status != http.StatusBadRequest {
		return false
	}
	b := bytes.ToLower(ex.body)
	for _, s := range []string{"api-version", "apiversion", "api version"} {
		if bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}

// revocation asks a revoker host to replace the token it cached.
type revocation struct {
	rejectedSHA256 string // tokenSHA256Hex of the rejected token; "" when none is known
}
