package resources

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on ids. ARM documents per-type name rules (Learn "resource name
// rules"); for types it does not know, the emulator applies the generic
// ones below. The numbers are unverified as generic ARM limits.
const (
	maxNameLen      = 260  // runes in one name segment
	maxTypeDepth    = 8    // type segments under one provider
	maxExtensionLen = 3    // extension-on-extension levels
	maxPathLen      = 4096 // bytes of the escaped path
)

var (
	// namespaceRE: "Microsoft.KeyVault", "Contoso.Widgets" (at least one dot).
	namespaceRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+$`)
	// typeRE: ARM type names are camelCase ASCII identifiers.
	typeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,79}$`)
)

// checkNamespace returns a message when ns is not a provider namespace.
func checkNamespace(ns string) string {
	if len(ns) > 64 || !namespaceRE.MatchString(ns) {
		return fmt.Sprintf("The resource namespace '%s' is invalid. A namespace is dot-separated ASCII words, such as 'Microsoft.KeyVault'.", clip(ns))
	}
	return ""
}

// checkType returns a message when t is not a resource type segment.
func checkType(t string) string {
	if !typeRE.MatchString(t) {
		return fmt.Sprintf("The resource type segment '%s' is invalid. A type is 1 to 80 ASCII letters and digits starting with a letter, such as 'vaults'.", clip(t))
	}
	return ""
}

// checkName applies the generic name rules: 1 to 260 characters of valid
// UTF-8, no control or invisible formatting characters, none of
// < > * % & : \ ? / #, and no trailing period or space.
func checkName(name string) string {
	if !utf8.ValidString(name) {
		return "The resource name is not valid UTF-8."
	}
	if n := utf8.RuneCountInString(name); n == 0 || n > maxNameLen {
		return fmt.Sprintf("The resource name '%s' is invalid: names are 1 to %d characters long.", clip(name), maxNameLen)
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf) || r == utf8.RuneError {
			return fmt.Sprintf("The resource name '%s' is invalid: it contains the control or formatting character U+%04X.", clip(name), r)
		}
	}
	if i := strings.IndexAny(name, `<>*%&:\?/#`); i >= 0 {
		return fmt.Sprintf("The resource name '%s' is invalid: it contains '%c'; names cannot contain < > * %% & : \\ ? / #.", clip(name), name[i])
	}
	if strings.HasSuffix(name, ".") || strings.HasSuffix(name, " ") {
		return fmt.Sprintf("The resource name '%s' is invalid: names cannot end with a period or a space.", clip(name))
	}
	return ""
}

// checkGroupName applies ARM's resource-group name rules (protocols §12.7).
func checkGroupName(name string) string {
	n := utf8.RuneCountInString(name)
	ok := utf8.ValidString(name) && n >= 1 && n <= 90 && !strings.HasSuffix(name, ".")
	for _, r := range name {
		if !(r == '_' || r == '-' || r == '.' || r == '(' || r == ')' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			ok = false
		}
	}
	if !ok {
		return fmt.Sprintf("The provided resource group name '%s' is invalid. Names are 1 to 90 letters, digits, '-', '.', '(', ')' or '_' and cannot end with a period.", clip(name))
	}
	return ""
}

// clip keeps an echoed value short and printable.
func clip(s string) string {
	const max = 128
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf) {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
}
