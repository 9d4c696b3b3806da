package hosts

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/httpx"
	"github.com/azmsi/azmsi/emulator/internal/tokens"
)

// tokenCheck is one of the checks the secret-header hosts (App Service, the
// 2017-09-01 protocol of legacy App Service and Azure ML, Service Fabric)
// make before they look at the selector, in the order they make them.
type tokenCheck int

const (
	checkPath          tokenCheck = iota // 404
	checkMethod                          // 405; only GET
	checkNoSecret                        // 401
	checkSecret                          // 401: wrong or repeated secret
	checkQuery                           // 400: malformed or repeated parameters
	checkVersion                         // 400: api-version
	checkResource                        // 400: resource missing
	checkResourceValue                   // 400: resource not acceptable (tokens.CheckResource)
	checkSelector                        // 400: a selector the host does not take
)

var tokenCheckStatus = [...]int{
	checkPath: http.StatusNotFound, checkMethod: http.StatusMethodNotAllowed,
	checkNoSecret: http.StatusUnauthorized, checkSecret: http.StatusUnauthorized,
	checkQuery: http.StatusBadRequest, checkVersion: http.StatusBadRequest,
	checkResource: http.StatusBadRequest, checkResourceValue: http.StatusBadRequest, checkSelector: http.StatusBadRequest,
}

// secretHost is one host's request rules.
type secretHost struct {
	path       string
	foldPath   bool     // match the path case-insensitively (docs spell /MSI/token)
	header     string   // the secret header, as the docs spell it
	apiVersion string   // the version named in errors (the one clients should send)
	alsoServes []string // other accepted api-versions
	refused    []string // selector parameters the host does not take
	refusedWhy string   // the message for a refused selector (the parameter is appended)
}

// tokenFailure is a failed check: its status and an App Service-style
// message; hosts with their own wording map check to it.
type tokenFailure struct {
	check  tokenCheck
	status int
	msg    string
}

// checkToken makes h's checks on r for he; it counts a token request once
// the path matches. On failure it returns what failed (and has set Allow
// for a wrong method); the caller answers in its host's shape.
func (s *Set) checkToken(r *http.Request, w http.ResponseWriter, he *Endpoint, h *secretHost) (q url.Values, resource string, f *tokenFailure) {
	fail := func(c tokenCheck, msg string) (url.Values, string, *tokenFailure) {
		return nil, "", &tokenFailure{check: c, status: tokenCheckStatus[c], msg: msg}
	}
	if p := httpx.CleanPath(r.URL.Path); p != h.path && !(h.foldPath && strings.EqualFold(p, h.path)) {
		return fail(checkPath, "Not found; the token path is "+h.path)
	}
	s.stats.TokenRequests.Add(1)
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		return fail(checkMethod, "Use GET")
	}
	sec, ok := r.Header[http.CanonicalHeaderKey(h.header)]
	switch {
	case !ok:
		return fail(checkNoSecret, "The "+h.header+" header is missing")
	case len(sec) != 1 || !httpx.SecretEqual(sec[0], he.Secret):
		return fail(checkSecret, "The "+h.header+" header is not valid")
	}
	q, bad := httpx.ParseQuery(r.URL.RawQuery)
	if bad != "" {
		return fail(checkQuery, bad)
	}
	if v := q.Get("api-version"); v != h.apiVersion && !slices.Contains(h.alsoServes, v) {
		return fail(checkVersion, "api-version '"+httpx.Clip(v)+"' is not supported; use "+strings.Join(append([]string{h.apiVersion}, h.alsoServes...), " or "))
	}
	resource = q.Get("resource")
	if strings.TrimSpace(resource) == "" {
		return fail(checkResource, "The resource parameter is required")
	}
	if err := tokens.CheckResource(resource); err != nil {
		return fail(checkResourceValue, err.Error())
	}
	for _, p := range h.refused {
		if q.Has(p) {
			return fail(checkSelector, h.refusedWhy+"; got "+p)
		}
	}
	return q, resource, nil
}
