package tokens

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxResource bounds a requested resource (an App ID URI or GUID, a few
// dozen bytes in practice).
const MaxResource = 1024

// CheckResource refuses a resource no token should be minted for: longer
// than MaxResource, not UTF-8, or holding white space or control
// characters. Entra ID would not know such a resource; the hosts answer
// 400 before anything is cached or counted. The message quotes the value
// clipped and escaped.
func CheckResource(resource string) error {
	switch {
	case len(resource) > MaxResource:
		return fmt.Errorf("the resource is %d bytes long; at most %d are accepted", len(resource), MaxResource)
	case !utf8.ValidString(resource):
		return fmt.Errorf("the resource %.80q is not valid UTF-8", resource)
	case strings.IndexFunc(resource, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0:
		return fmt.Errorf("the resource %.80q holds white space or control characters; send an App ID URI such as https://management.azure.com/", resource)
	}
	return nil
}
