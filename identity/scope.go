package identity

import (
	"errors"
	"fmt"
	"strings"
)

// ScopeToResource converts an OAuth2 v2 scope to the v1 resource managed
// identity endpoints expect, by trimming a trailing "/.default":
// "https://management.azure.com/.default" → "https://management.azure.com",
// and "https://management.core.windows.net//.default" →
// "https://management.core.windows.net/". A bare resource passes unchanged.
// More than one scope (whitespace or comma separated) is an error, as it is
// for every Azure SDK. It does not allocate on success.
func ScopeToResource(scope string) (string, error) {
	if scope == "" {
		return "", errors.New("identity: empty scope; pass one scope such as https://management.azure.com/.default or a resource such as https://management.azure.com")
	}
	if strings.ContainsAny(scope, " \t\r\n,") {
		return "", fmt.Errorf("identity: %q holds more than one scope; managed identity takes exactly one scope or resource per token", scope)
	}
	r := strings.TrimSuffix(scope, "/.default")
	if r == "" {
		return "", fmt.Errorf("identity: scope %q names no resource", scope)
	}
	return r, nil
}
