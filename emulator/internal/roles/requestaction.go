package roles

import (
	"net/http"
	"strings"
)

// RequestAction maps an ARM request to the action ARM authorizes it by and
// the scope it is checked at (protocols-2026 §21.4):
//
//	GET    /subscriptions/{s}                               Microsoft.Resources/subscriptions/read at the subscription
//	GET    /subscriptions/{s}/resourcegroups                Microsoft.Resources/subscriptions/resourcegroups/read at the subscription
//	PUT    /subscriptions/{s}/resourcegroups/{rg}           Microsoft.Resources/subscriptions/resourcegroups/write at the group
//	GET    …/resourcegroups/{rg}/resources                  Microsoft.Resources/subscriptions/resourcegroups/resources/read
//	GET    /subscriptions/{s}/resources                     Microsoft.Resources/subscriptions/resources/read
//	GET    /subscriptions/{s}/providers[/{ns}]              Microsoft.Resources/subscriptions/providers/read
//	POST   /subscriptions/{s}/providers/{ns}/register       {ns}/register/action
//	GET    /subscriptions/{s}/locations                     Microsoft.Resources/subscriptions/locations/read
//	GET    /subscriptions/{s}/operationresults/{id}         Microsoft.Resources/subscriptions/operationresults/read
//	PUT    …/providers/{ns}/{type}/{name}[/{child}/{n}…]    {ns}/{type}[/{child}…]/write at the resource
//	GET    …/providers/{ns}/{type}                          {ns}/{type}/read at the parent (a list)
//	POST   …/providers/{ns}/{type}/{name}/{op}              {ns}/{type}/{op}/action at the resource
//
// GET and HEAD read, PUT and PATCH write, DELETE deletes. For extension
// resources (…/vaults/kv1/providers/Microsoft.Insights/diagnosticSettings/d)
// the last provider block names the action. ok is false for paths above
// subscriptions (GET /subscriptions, /tenants, /providers: every
// authenticated caller may call them; ARM filters what they list) and for
// Microsoft.Authorization routes, which Serve authorizes itself. The
// Microsoft.Resources action names for providers, locations and operation
// results follow Learn's operation list for Microsoft.Resources; that ARM
// checks exactly these on those routes is unverified.
func RequestAction(method, path string) (action, scope string, ok bool) {
	action, scope, ok = requestAction(method, path)
	if ok {
		if _, err := ParseScope(scope); err != nil {
			return "", "", false
		}
	}
	return action, scope, ok
}

func requestAction(method, path string) (action, scope string, ok bool) {
	verb := verbFor(method)
	if verb == "" || IsAuthorizationPath(path) {
		return "", "", false
	}
	trimmed := strings.Trim(path, "/")
	if trimmed == "" {
		return "", "", false
	}
	seg := strings.Split(trimmed, "/")
	if !strings.EqualFold(seg[0], "subscriptions") || len(seg) < 2 {
		return "", "", false
	}
	for _, s := range seg {
		if s == "" {
			return "", "", false
		}
	}
	subScope := "/subscriptions/" + seg[1]
	rest := seg[2:]
	const res = "Microsoft.Resources/subscriptions"
	if len(rest) == 0 {
		return res + "/" + verb, subScope, true
	}
	switch strings.ToLower(rest[0]) {
	case "resources":
		return res + "/resources/read", subScope, len(rest) == 1
	case "locations":
		return res + "/locations/read", subScope, true
	case "operationresults":
		return res + "/operationresults/read", subScope, true
	case "tagnames":
		return res + "/tagNames/" + verb, subScope, true
	case "resourcegroups":
		// "resourcegroups" in lower case, as ARM's AuthorizationFailed
		// messages spell it (protocols §12.3, observed).
		switch len(rest) {
		case 1:
			return res + "/resourcegroups/read", subScope, true
		case 2:
			return res + "/resourcegroups/" + verb, subScope + "/resourceGroups/" + rest[1], true
		}
		rgScope := subScope + "/resourceGroups/" + rest[1]
		if len(rest) == 3 && strings.EqualFold(rest[2], "resources") {
			return res + "/resourcegroups/resources/read", rgScope, true
		}
		if !strings.EqualFold(rest[2], "providers") {
			return "", "", false
		}
		return providerAction(method, verb, rgScope, rest[2:])
	case "providers":
		if len(rest) <= 2 {
			return res + "/providers/read", subScope, true
		}
		if len(rest) == 3 && method == http.MethodPost {
			// POST /subscriptions/{s}/providers/{ns}/register|unregister
			return rest[1] + "/" + rest[2] + "/action", subScope, true
		}
		return providerAction(method, verb, subScope, rest)
	}
	return "", "", false
}

// providerAction handles providers/{ns}/{type}/{name}… below parent; a
// further providers/{ns2}/… block is an extension resource of the resource
// before it, and the last block names the action.
func providerAction(method, verb, parent string, segs []string) (string, string, bool) {
	scope := parent
	for {
		if len(segs) < 3 || !strings.EqualFold(segs[0], "providers") {
			return "", "", false
		}
		ns, block := segs[1], segs[2:]
		end := len(block)
		for i := 2; i+1 < len(block); i += 2 {
			if strings.EqualFold(block[i], "providers") {
				end = i
				break
			}
		}
		if end < len(block) {
			scope += "/providers/" + ns + "/" + strings.Join(block[:end], "/")
			segs = block[end:]
			continue
		}
		var types []string
		for i := 0; i < len(block); i += 2 {
			types = append(types, block[i])
		}
		pairs := len(block) / 2
		withPairs := scope
		if pairs > 0 {
			withPairs = scope + "/providers/" + ns + "/" + strings.Join(block[:2*pairs], "/")
		}
		switch {
		case len(block)%2 == 0 && method == http.MethodPost:
			return "", "", false // POST needs an operation name after the resource
		case len(block)%2 == 0: // …/{type}/{name}: the resource itself
			return ns + "/" + strings.Join(types, "/") + "/" + verb, withPairs, true
		case method == http.MethodPost && pairs > 0: // …/{type}/{name}/{op}
			return ns + "/" + strings.Join(types[:len(types)-1], "/") + "/" + types[len(types)-1] + "/action", withPairs, true
		case method == http.MethodGet || method == http.MethodHead: // …/{type}: a list, read at its parent
			return ns + "/" + strings.Join(types, "/") + "/read", withPairs, true
		}
		return "", "", false
	}
}

func verbFor(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead:
		return "read"
	case http.MethodPut, http.MethodPatch:
		return "write"
	case http.MethodDelete:
		return "delete"
	case http.MethodPost:
		return "action"
	}
	return ""
}
