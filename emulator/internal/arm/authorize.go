package arm

import (
	"net/http"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/httpx"
	"github.com/azmsi/azmsi/emulator/internal/roles"
	"github.com/azmsi/azmsi/emulator/internal/store"
)

// Authorization: every ARM operation is checked by its action (roles
// package) against the role assignments at its scope and above. The
// Microsoft.Authorization routes themselves (role definitions and
// assignments at any scope) are served by roles.Store.Serve through
// ServeAuthorization.

// caller is the request's principal as roles names it.
func (req *Request) caller() roles.Caller {
	appID, oid := req.principal()
	return roles.Caller{ObjectID: oid, ClientID: appID}
}

// allowed reports whether the caller may perform action at scope.
func (a *Service) allowed(req *Request, action, scope string) bool {
	_, oid := req.principal()
	return a.roles.Allowed(oid, action, scope)
}

// authorize is allowed, answering ARM's 403 AuthorizationFailed when not.
func (a *Service) authorize(req *Request, action, scope string) bool {
	if a.allowed(req, action, scope) {
		return true
	}
	forbid(req, action, scope)
	return false
}

// sees reports whether the caller holds any role at, above or below scope:
// what makes a subscription visible.
func (a *Service) sees(req *Request, scope string) bool {
	_, oid := req.principal()
	return a.roles.HasAssignmentWithin(oid, scope)
}

// Action strings of the Service's own routes, spelled as ARM's
// AuthorizationFailed messages spell them (lower-case "resourcegroups",
// protocols §12.3, observed); matching ignores case.
const (
	actionGroupRead   = "Microsoft.Resources/subscriptions/resourcegroups/read"
	actionGroupWrite  = "Microsoft.Resources/subscriptions/resourcegroups/write"
	actionGroupDelete = "Microsoft.Resources/subscriptions/resourcegroups/delete"
)

// ServeAuthorization answers {scope}/providers/Microsoft.Authorization/
// roleDefinitions|roleAssignments[/{name}] at any scope, through the ARM
// pipeline's authentication, api-version check and throttling. The scope
// must exist: a configured subscription, a resource group the store holds,
// and, for a scope below a group, its top-level resource (a generic
// resource or a vault; child resources are not checked).
func (a *Service) ServeAuthorization(w http.ResponseWriter, r *http.Request) {
	a.stats.ARMRequests.Add(1)
	a.commonHeaders(w, r)
	tok, ok := a.authenticate(w, r)
	if !ok {
		return
	}
	if strings.Contains(strings.ToLower(r.URL.EscapedPath()), "%2f") {
		writeARMError(w, http.StatusBadRequest, "InvalidScope", "The path contains an encoded '/', which no ARM id contains.")
		return
	}
	// Repeated slashes are ignored, as on every ARM route (SDKs join
	// "/{scope}" with a scope that starts with '/').
	t, e := roles.ParseTarget(httpx.CleanPath(r.URL.Path))
	if e != nil {
		roles.WriteError(w, e)
		return
	}
	api := r.URL.Query().Get("api-version")
	if api == "" {
		writeARMError(w, http.StatusBadRequest, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is required for all requests.")
		return
	}
	if _, refusal := a.versions.Check("Microsoft.Authorization/"+t.Collection, api, ""); refusal != nil {
		writeARMError(w, http.StatusBadRequest, refusal.Code, refusal.Message)
		return
	}
	req := &Request{r: r, hdr: w.Header(), api: api, tok: tok}
	a.mu.RLock()
	closed := a.closed
	req.cfg = a.cfg
	req.ident = callerIdentity(a.cfg, req.tok)
	admitted := closed || a.admit(req)
	found := closed || a.scopeExistsLocked(req, t.Scope)
	a.mu.RUnlock()
	switch {
	case closed:
		writeARMError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "The ARM emulator is shutting down.")
		return
	case !admitted || !found:
		req.res.flush(w)
		return
	}
	// Outside a.mu: the resource stores have their own locks and call
	// back into the service under them.
	if top, ok := topResource(t.Scope); ok && !a.resourceExists(top) {
		req.fail(http.StatusNotFound, "ResourceNotFound", resourceNotFoundMessage(top, t.Scope.ResourceGroup()))
		req.res.flush(w)
		return
	}
	a.roles.Serve(w, r, t, req.caller())
}

// topResource is the top-level resource id of a scope below a resource
// group (/subscriptions/S/resourceGroups/G/providers/NS/TYPE/NAME), and
// whether there is one.
func topResource(sc roles.Scope) (string, bool) {
	if sc.Kind() < roles.KindResource {
		return "", false
	}
	segs := strings.Split(strings.Trim(sc.String(), "/"), "/")
	if len(segs) < 8 || !strings.EqualFold(segs[4], "providers") {
		return "", false
	}
	return "/" + strings.Join(segs[:8], "/"), true
}

// resourceExists reports whether a top-level resource exists: in the
// generic store, or kept elsewhere (vaults).
func (a *Service) resourceExists(id string) bool {
	if a.genericStore != nil && a.genericStore.Exists(id) {
		return true
	}
	return a.externalExists != nil && a.externalExists(id)
}

// resourceNotFoundMessage is ARM's ResourceNotFound text for id
// (quoting and suffix unverified, U20-7).
func resourceNotFoundMessage(id, group string) string {
	rel := id
	if i := strings.LastIndex(strings.ToLower(rel), "/providers/"); i >= 0 {
		rel = rel[i+len("/providers/"):]
	}
	return "The Resource '" + rel + "' under resource group '" + group + "' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
}

// scopeExistsLocked answers 404 for a scope under an unknown subscription
// or resource group (recording it in req) and reports whether it exists.
func (a *Service) scopeExistsLocked(req *Request, sc roles.Scope) bool {
	if sc.Subscription() == "" {
		return true // tenant and management-group scopes: role definitions only
	}
	if findSubscription(req.cfg, sc.Subscription()) == nil {
		req.fail(http.StatusNotFound, "SubscriptionNotFound", "The subscription '"+sc.Subscription()+"' could not be found.")
		return false
	}
	if rg := sc.ResourceGroup(); rg != "" {
		if g := a.groups[store.Key(sc.Subscription(), rg)]; g == nil || g.Deleting() {
			req.fail(http.StatusNotFound, "ResourceGroupNotFound", "Resource group '"+rg+"' could not be found.")
			return false
		}
	}
	return true
}
