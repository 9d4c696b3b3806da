package emulator

import (
	"net/http"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/arm"
	"github.com/azmsi/azmsi/emulator/internal/httpx"
	"github.com/azmsi/azmsi/emulator/internal/keyvault"
	"github.com/azmsi/azmsi/emulator/internal/roles"
)

// The route table: every path of every listener and the handler that
// serves it. To add a service, build it in Server.build (server.go) with
// the dependencies it needs, then add its rows here: a path on an existing
// listener, an ARM route (armRoutes: the ARM pipeline of authentication,
// api-version, throttling and locking comes with it), or a listener of its
// own started in Server.listen.
//
// Routing is by cleaned path (httpx.CleanPath) and never redirects: a
// redirect from these endpoints is never legitimate, which is also why
// this is not an http.ServeMux (it answers "//x" with a redirect).

// route is one row of a listener's table.
type route struct {
	match func(path string) bool
	serve http.HandlerFunc
}

// exact matches one of paths.
func exact(paths ...string) func(string) bool {
	return func(p string) bool {
		for _, want := range paths {
			if p == want {
				return true
			}
		}
		return false
	}
}

// under matches root and every path below it.
func under(root string) func(string) bool {
	return func(p string) bool { return p == root || strings.HasPrefix(p, root+"/") }
}

// endsWith matches every path ending in suffix.
func endsWith(suffix string) func(string) bool {
	return func(p string) bool { return strings.HasSuffix(p, suffix) }
}

// anyPath matches every path.
func anyPath(string) bool { return true }

// controlRoutes are /_emulator/*, served on the IMDS and ARM listeners.
func (s *Server) controlRoutes() []controlRoute {
	get := []string{http.MethodGet}
	return []controlRoute{
		{"/healthz", []string{http.MethodGet, http.MethodHead}, serveHealth},
		{"/stats", get, s.serveStats},
		{"/keys", get, s.serveJWKS},
		{"/reset", []string{http.MethodPost}, s.serveReset},
		{"/config", []string{http.MethodGet, http.MethodPost, http.MethodPut}, s.serveConfig},
		{"/faults", nil, s.serveFaultsControl}, // GET, PUT (or POST), DELETE
	}
}

// imdsRoutes are the plain-HTTP IMDS listener's.
func (s *Server) imdsRoutes() []route {
	return []route{
		{under("/_emulator"), s.serveControl},
		{exact("/discovery/keys", "/discovery/v2.0/keys"), s.serveJWKS},
		{endsWith("/.well-known/openid-configuration"), s.imds.OpenIDConfig},
		{exact("/metadata/identity/oauth2/token"), s.imds.Token},
		{exact("/metadata/identity/info"), s.imds.IdentityInfo},
		{exact("/metadata/identity/getplatformmetadata"), s.imds.PlatformMetadata},
		{exact("/metadata/versions"), s.imds.Versions},
		{under("/metadata/instance"), s.imds.Instance},
		{anyPath, imdsNotFound},
	}
}

// armListenerRoutes are the HTTPS ARM listener's: the control routes, and
// everything else goes through the ARM pipeline to armRoutes.
func (s *Server) armListenerRoutes() []route {
	return []route{
		{under("/_emulator"), s.serveControl},
		// Role definitions and assignments at every scope (roles package).
		{roles.IsAuthorizationPath, s.arm.ServeAuthorization},
		{keyvault.Handles, s.serveVaultResource},
		{anyPath, s.arm.ServeHTTP},
	}
}

// armRoutes are the ARM operations. Literal segments match
// case-insensitively; {name} is one segment (arm.Route); Type names the
// api-version table (emulator/internal/apiversion).
func armRoutes() []arm.Route {
	const (
		sub   = "/subscriptions/{subscriptionId}"
		group = sub + "/resourcegroups/{resourceGroupName}"
	)
	return []arm.Route{
		{Path: "/tenants", Type: "Microsoft.Resources/tenants", Get: (*arm.Service).ListTenants},
		{Path: "/subscriptions", Type: "Microsoft.Resources/subscriptions", Get: (*arm.Service).ListSubscriptions},
		{Path: sub, Type: "Microsoft.Resources/subscriptions", Get: (*arm.Service).GetSubscription},
		{Path: sub + "/resourcegroups", Type: "Microsoft.Resources/resourceGroups", Get: (*arm.Service).ListGroups},
		{Path: group, Type: "Microsoft.Resources/resourceGroups",
			Get: (*arm.Service).GetGroup, Head: (*arm.Service).HeadGroup, Put: (*arm.Service).PutGroup,
			Patch: (*arm.Service).PatchGroup, Delete: (*arm.Service).DeleteGroup},
		{Path: sub + "/operationresults/{operationId}", Type: "Microsoft.Resources/operationresults", Get: (*arm.Service).GetOperation},
		{Path: sub + "/operationstatuses/{operationId}", Type: "Microsoft.Resources/operationresults", Get: (*arm.Service).GetOperationStatus},
	}
}

// handlerFor serves routes, first match wins.
func handlerFor(routes []route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := httpx.CleanPath(r.URL.Path)
		for _, rt := range routes {
			if rt.match(p) {
				rt.serve(w, r)
				return
			}
		}
	})
}

func (s *Server) imdsHandler() http.Handler { return handlerFor(s.imdsRoutes()) }

func (s *Server) armHandler() http.Handler { return s.withVaults(handlerFor(s.armListenerRoutes())) }

func imdsNotFound(w http.ResponseWriter, _ *http.Request) {
	httpx.WriteJSON(w, http.StatusNotFound, map[string]string{"error": "Not found"})
}

func (s *Server) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, s.tokens.JWKS())
}
