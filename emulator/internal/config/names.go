package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// ARM's naming rules for scopes, resource groups, locations and tags
// (protocols.md §12.7), shared by config validation and the ARM handlers.

// ParseScope splits a role-assignment scope, /subscriptions/{id} or
// /subscriptions/{id}/resourceGroups/{name} (keywords case-insensitive), into
// its subscription id and resource group ("" for a subscription scope).
func ParseScope(scope string) (subscriptionID, resourceGroup string, err error) {
	const want = "expected /subscriptions/{guid} or /subscriptions/{guid}/resourceGroups/{name}"
	parts := strings.Split(scope, "/")
	if len(parts) < 3 || parts[0] != "" || !strings.EqualFold(parts[1], "subscriptions") {
		return "", "", fmt.Errorf("%q is not a scope (%s)", scope, want)
	}
	if !GUID.MatchString(parts[2]) {
		return "", "", fmt.Errorf("%q: subscription %q is not a GUID (%s)", scope, parts[2], want)
	}
	switch {
	case len(parts) == 3:
		return parts[2], "", nil
	case len(parts) == 5 && strings.EqualFold(parts[3], "resourceGroups"):
		if err := CheckRGName(parts[4]); err != nil {
			return "", "", fmt.Errorf("%q: %v", scope, err)
		}
		return parts[2], parts[4], nil
	}
	return "", "", fmt.Errorf("%q is not a scope (%s)", scope, want)
}

// CheckRGName applies the resource-group name rules (protocols.md §12.7).
func CheckRGName(name string) error {
	if name == "" {
		return errors.New("resource group name is empty")
	}
	if n := len([]rune(name)); n > 90 {
		return fmt.Errorf("resource group name %q is %d characters; at most 90 are allowed", name, n)
	}
	for _, r := range name {
		if r == '_' || r == '-' || r == '.' || r == '(' || r == ')' || unicode.IsLetter(r) || unicode.IsDigit(r) {
			continue
		}
		return fmt.Errorf("resource group name %q contains %q; allowed are letters, digits, '_', '-', '.', '(' and ')'", name, r)
	}
	if strings.HasSuffix(name, ".") {
		return fmt.Errorf("resource group name %q ends with a period, which ARM does not allow", name)
	}
	return nil
}

var locationRE = regexp.MustCompile(`^[a-z0-9]{1,40}$`)

// CheckLocation accepts ARM location names such as "eastus".
func CheckLocation(loc string) error {
	if !locationRE.MatchString(loc) {
		return fmt.Errorf("%q is not a location name (expected lower-case letters and digits, e.g. \"eastus\")", loc)
	}
	return nil
}

// CheckTags validates tag names and values (protocols.md §12.7).
func CheckTags(tags map[string]string) error {
	if len(tags) > 50 {
		return fmt.Errorf("%d tags; at most 50 are allowed", len(tags))
	}
	for k, v := range tags {
		if k == "" || len(k) > 512 || strings.ContainsAny(k, "<>%&\\?/") || hasControl(k) {
			return fmt.Errorf("tag name %q is invalid (1-512 characters, none of <>%%&\\?/ or control characters)", k)
		}
		if len(v) > 256 || hasControl(v) {
			return fmt.Errorf("tag %q: value must be at most 256 characters without control characters", k)
		}
	}
	return nil
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}
