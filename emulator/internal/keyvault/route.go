package keyvault

import (
	"net/http"
	"strings"
)

// route is a parsed data-plane path.
type route struct {
	op      operation
	name    string // secret name, "" for vault-wide operations
	version string // "" = latest
	serve   func(*Handler, *request)
}

// parseRoute maps method and path to an operation (spec §Routes):
//
//	GET              /secrets                     list
//	PUT|GET|DELETE   /secrets/{name}              set, get latest, delete
//	PATCH            /secrets/{name}[/]           update latest
//	GET|PATCH        /secrets/{name}/             get, update latest (Go sends the slash)
//	GET              /secrets/{name}/versions     list versions
//	GET|PATCH        /secrets/{name}/{version}    get, update a version
//	GET              /deletedsecrets              list deleted
//	GET|DELETE       /deletedsecrets/{name}       get deleted, purge
//	POST             /deletedsecrets/{name}/recover
//
// Collection words are matched case-insensitively; a trailing slash is
// accepted where the SDKs send one.
func parseRoute(method, path string) (route, *kvError) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if n := len(segs); n > 1 && segs[n-1] == "" && !(n == 3 && strings.EqualFold(segs[0], "secrets")) {
		segs = segs[:n-1] // drop a trailing slash, except the meaningful /secrets/{name}/
	}
	allow := func(allowed ...string) *kvError {
		return &kvError{status: http.StatusMethodNotAllowed, code: "BadParameter",
			message: "Method " + clip(method) + " is not allowed on " + clip(path) + "; allowed: " + strings.Join(allowed, ", ") + "."}
	}
	notFound := &kvError{status: http.StatusNotFound, code: "NotFound",
		message: "The path " + clip(path) + " is not a Key Vault secrets operation (the emulator serves /secrets and /deletedsecrets)."}
	switch {
	case len(segs) == 1 && strings.EqualFold(segs[0], "secrets"):
		if method == http.MethodGet {
			return route{op: opList, serve: (*Handler).listSecrets}, nil
		}
		return route{}, allow("GET")
	case len(segs) == 2 && strings.EqualFold(segs[0], "secrets"):
		name := segs[1]
		switch method {
		case http.MethodPut:
			return route{op: opSet, name: name, serve: (*Handler).setSecret}, nil
		case http.MethodGet:
			return route{op: opGet, name: name, serve: (*Handler).getSecret}, nil
		case http.MethodPatch:
			return route{op: opUpdate, name: name, serve: (*Handler).updateSecret}, nil
		case http.MethodDelete:
			return route{op: opDelete, name: name, serve: (*Handler).deleteSecret}, nil
		case http.MethodPost:
			if strings.EqualFold(name, "restore") {
				return route{}, &kvError{status: http.StatusNotImplemented, code: "NotSupported", message: "The emulator does not support secret backup and restore."}
			}
		}
		return route{}, allow("GET", "PUT", "PATCH", "DELETE")
	case len(segs) == 3 && strings.EqualFold(segs[0], "secrets"):
		name, third := segs[1], segs[2]
		if strings.EqualFold(third, "versions") {
			if method == http.MethodGet {
				return route{op: opListVersions, name: name, serve: (*Handler).listVersions}, nil
			}
			return route{}, allow("GET")
		}
		if strings.EqualFold(third, "backup") && method == http.MethodPost {
			return route{}, &kvError{status: http.StatusNotImplemented, code: "NotSupported", message: "The emulator does not support secret backup and restore."}
		}
		switch method {
		case http.MethodGet:
			return route{op: opGet, name: name, version: third, serve: (*Handler).getSecret}, nil
		case http.MethodPatch:
			return route{op: opUpdate, name: name, version: third, serve: (*Handler).updateSecret}, nil
		}
		return route{}, allow("GET", "PATCH")
	case len(segs) == 1 && strings.EqualFold(segs[0], "deletedsecrets"):
		if method == http.MethodGet {
			return route{op: opListDeleted, serve: (*Handler).listDeleted}, nil
		}
		return route{}, allow("GET")
	case len(segs) == 2 && strings.EqualFold(segs[0], "deletedsecrets"):
		switch method {
		case http.MethodGet:
			return route{op: opGetDeleted, name: segs[1], serve: (*Handler).getDeleted}, nil
		case http.MethodDelete:
			return route{op: opPurge, name: segs[1], serve: (*Handler).purgeDeleted}, nil
		}
		return route{}, allow("GET", "DELETE")
	case len(segs) == 3 && strings.EqualFold(segs[0], "deletedsecrets") && strings.EqualFold(segs[2], "recover"):
		if method == http.MethodPost {
			return route{op: opRecover, name: segs[1], serve: (*Handler).recoverDeleted}, nil
		}
		return route{}, allow("POST")
	}
	return route{}, notFound
}

// validSecretName: 1–127 characters of [0-9a-zA-Z-] (the spec's pattern;
// the length limit is unverified).
func validSecretName(s string) bool {
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

// validVersion: 32 hexadecimal characters.
func validVersion(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
