package arm

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/config"
	"github.com/azmsi/azmsi/emulator/internal/resources"
	"github.com/azmsi/azmsi/emulator/internal/tokens"
)

// Handler answers one ARM operation. It runs under a's lock (shared for
// GET and HEAD, exclusive otherwise) and answers through req's recorders,
// which only record the answer: a encodes and writes it after unlocking.
// The service's own handlers are method expressions such as
// (*Service).ListGroups.
type Handler func(a *Service, req *Request)

// Route is one row of the ARM route table (package emulator's routes.go).
// Path is a pattern: literal segments match case-insensitively (protocols
// §12.1), a segment {name} matches any one segment and is read with
// req.Param(name). A nil handler means the method is not allowed.
type Route struct {
	Path string
	// Type is the resource type whose api-version table decides the
	// request's api-version (emulator/internal/apiversion), such as
	// "Microsoft.Resources/resourceGroups".
	Type string
	// Handlers per method; PUT, PATCH and DELETE are writes (exclusive
	// lock; PUT and PATCH bodies are read before locking).
	Get, Head, Put, Patch, Delete Handler
}

// methods lists the methods r serves, in a fixed order (for Allow).
func (r *Route) methods() []string {
	var out []string
	for _, m := range []struct {
		name string
		h    Handler
	}{{http.MethodGet, r.Get}, {http.MethodHead, r.Head}, {http.MethodPut, r.Put}, {http.MethodPatch, r.Patch}, {http.MethodDelete, r.Delete}} {
		if m.h != nil {
			out = append(out, m.name)
		}
	}
	return out
}

func (r *Route) handler(method string) Handler {
	switch method {
	case http.MethodGet:
		return r.Get
	case http.MethodHead:
		return r.Head
	case http.MethodPut:
		return r.Put
	case http.MethodPatch:
		return r.Patch
	case http.MethodDelete:
		return r.Delete
	}
	return nil
}

// compiledRoute is a Route split into segments.
type compiledRoute struct {
	Route
	segs []string // literal, or "{name}"
}

// maxParams bounds the {name} segments of one pattern.
const maxParams = 8

// routeTable matches request paths against the routes, in order.
type routeTable struct {
	routes  []compiledRoute
	maxSegs int
}

func newRouteTable(routes []Route) (*routeTable, error) {
	t := &routeTable{}
	for _, r := range routes {
		segs := strings.Split(strings.Trim(r.Path, "/"), "/")
		params := 0
		for _, s := range segs {
			if s == "" {
				return nil, fmt.Errorf("ARM route %q has an empty segment", r.Path)
			}
			if isParam(s) {
				params++
			}
		}
		if params > maxParams {
			return nil, fmt.Errorf("ARM route %q has more than %d parameters", r.Path, maxParams)
		}
		if len(r.methods()) == 0 || r.Type == "" {
			return nil, fmt.Errorf("ARM route %q needs a handler and a resource type", r.Path)
		}
		t.routes = append(t.routes, compiledRoute{Route: r, segs: segs})
		t.maxSegs = max(t.maxSegs, len(segs))
	}
	return t, nil
}

func isParam(seg string) bool { return len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' }

// match parses an escaped URL path. Segments are unescaped one by one, so
// an encoded '/' inside a name cannot change the route. Empty segments
// (repeated or trailing slashes) are ignored. ok=false means no route.
func (t *routeTable) match(escaped string) (r *compiledRoute, p params, ok bool) {
	var seg []string
	for _, s := range strings.Split(escaped, "/") {
		if s == "" {
			continue
		}
		u, err := url.PathUnescape(s)
		if err != nil || u == "" {
			return nil, params{}, false
		}
		seg = append(seg, u)
		if len(seg) > t.maxSegs {
			return nil, params{}, false
		}
	}
next:
	for i := range t.routes {
		cr := &t.routes[i]
		if len(cr.segs) != len(seg) {
			continue
		}
		p = params{route: cr}
		for j, want := range cr.segs {
			if isParam(want) {
				p.vals[p.n] = seg[j]
				p.n++
				continue
			}
			if !strings.EqualFold(want, seg[j]) {
				continue next
			}
		}
		return cr, p, true
	}
	return nil, params{}, false
}

// params are the {name} values of a matched path, in pattern order.
type params struct {
	route *compiledRoute
	vals  [maxParams]string
	n     int
}

// get returns the value of {name}, "" if the pattern has none.
func (p *params) get(name string) string {
	if p.route == nil {
		return ""
	}
	i := 0
	for _, s := range p.route.segs {
		if isParam(s) {
			if s[1:len(s)-1] == name {
				return p.vals[i]
			}
			i++
		}
	}
	return ""
}

// Request carries one request through the handlers.
type Request struct {
	r       *http.Request
	hdr     http.Header // the response headers (a map: setting them is no I/O)
	params  params
	api     string
	tok     *tokens.Verified
	ident   *config.Identity // the caller in the current config; nil if unknown
	cfg     *config.Config
	body    []byte // PUT/PATCH body, read before locking (readBody)
	bodyErr error
	res     armResponse
}

// Param is the value of the route's {name} segment, as the client sent it.
func (req *Request) Param(name string) string { return req.params.get(name) }

// The parameters of the built-in routes.
func (req *Request) sub() string   { return req.Param("subscriptionId") }
func (req *Request) group() string { return req.Param("resourceGroupName") }
func (req *Request) op() string    { return req.Param("operationId") }

// ServeHTTP answers every ARM request: authentication, route, method,
// api-version, then the route's handler under the lock.
func (a *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.stats.ARMRequests.Add(1)
	a.commonHeaders(w, r)

	route, p, matched := a.routes.match(r.URL.EscapedPath())
	if !matched && a.generic != nil && resources.Handles(r.Method, r.URL.EscapedPath()) {
		a.serveGeneric(w, r) // it authenticates (except /metadata/endpoints)
		return
	}
	tok, ok := a.authenticate(w, r)
	if !ok {
		return
	}
	if !matched {
		writeARMError(w, http.StatusNotFound, "NotFound",
			fmt.Sprintf("The requested path '%s' is not served by this ARM emulator. It supports /tenants, /subscriptions, /subscriptions/{subscriptionId}, /subscriptions/{subscriptionId}/resourcegroups[/{name}] and /subscriptions/{subscriptionId}/operationresults/{id}.", r.URL.Path))
		return
	}
	h := route.handler(r.Method)
	if h == nil {
		w.Header().Set("Allow", strings.Join(route.methods(), ", "))
		writeARMError(w, http.StatusMethodNotAllowed, "MethodNotAllowed",
			fmt.Sprintf("The requested resource does not support http method '%s'.", r.Method))
		return
	}
	q := r.URL.Query()
	api := q.Get("api-version")
	if api == "" {
		writeARMError(w, http.StatusBadRequest, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is required for all requests.")
		return
	}
	if _, refused := a.versions.Check(route.Type, api, ""); refused != nil {
		writeARMError(w, http.StatusBadRequest, refused.Code, refused.Message)
		return
	}

	req := &Request{r: r, hdr: w.Header(), params: p, api: api, tok: tok}
	write := r.Method == http.MethodPut || r.Method == http.MethodPatch || r.Method == http.MethodDelete
	if r.Method == http.MethodPut || r.Method == http.MethodPatch {
		req.body, req.bodyErr = readBody(r)
	}
	a.handle(req, h, write)
	// Encoding and the network write happen after a.mu is released; a
	// write was committed to the store before handle returned.
	req.res.flush(w)
}

// handle runs h under a.mu: shared for reads, exclusive for writes and for
// a read that finds a delete deadline passed (the sweep removes groups).
func (a *Service) handle(req *Request, h Handler, write bool) {
	if write {
		a.mu.Lock()
		defer a.mu.Unlock()
	} else {
		a.mu.RLock()
		if a.sweepDueLocked(a.now()) {
			a.mu.RUnlock()
			a.mu.Lock()
			defer a.mu.Unlock()
			write = true
		} else {
			defer a.mu.RUnlock()
		}
	}
	if a.closed {
		req.fail(http.StatusServiceUnavailable, "ServiceUnavailable", "The ARM emulator is shutting down.")
		return
	}
	req.cfg = a.cfg
	req.ident = callerIdentity(a.cfg, req.tok)

	if !a.admit(req) {
		return
	}
	if write {
		if err := a.sweepLocked(a.now()); err != nil {
			a.internalError(req, err)
			return
		}
	}
	h(a, req)
}
