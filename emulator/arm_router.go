package emulator

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// armRoute names the operations the ARM emulator serves.
type armRoute int

const (
	routeTenants       armRoute = iota + 1 // /tenants
	routeSubscriptions                     // /subscriptions
	routeSubscription                      // /subscriptions/{s}
	routeGroups                            // /subscriptions/{s}/resourcegroups
	routeGroup                             // /subscriptions/{s}/resourcegroups/{rg}
	routeOperation                         // /subscriptions/{s}/operationresults/{token}
)

// armPath is a parsed request path. Keywords match case-insensitively
// (protocols §12.1); sub, group and op keep the casing the client sent.
type armPath struct {
	route armRoute
	sub   string
	group string
	op    string
}

// parseARMPath parses an escaped URL path. Segments are unescaped one by one,
// so an encoded '/' inside a name cannot change the route. Empty segments
// (repeated or trailing slashes) are ignored. ok=false means no such route.
func parseARMPath(escaped string) (p armPath, ok bool) {
	var seg []string
	for _, s := range strings.Split(escaped, "/") {
		if s == "" {
			continue
		}
		u, err := url.PathUnescape(s)
		if err != nil || u == "" {
			return armPath{}, false
		}
		seg = append(seg, u)
		if len(seg) > 4 {
			return armPath{}, false
		}
	}
	is := strings.EqualFold
	switch {
	case len(seg) == 1 && is(seg[0], "tenants"):
		return armPath{route: routeTenants}, true
	case len(seg) >= 1 && is(seg[0], "subscriptions"):
	default:
		return armPath{}, false
	}
	switch len(seg) {
	case 1:
		return armPath{route: routeSubscriptions}, true
	case 2:
		return armPath{route: routeSubscription, sub: seg[1]}, true
	case 3:
		if is(seg[2], "resourcegroups") {
			return armPath{route: routeGroups, sub: seg[1]}, true
		}
	case 4:
		if is(seg[2], "resourcegroups") {
			return armPath{route: routeGroup, sub: seg[1], group: seg[3]}, true
		}
		if is(seg[2], "operationresults") {
			return armPath{route: routeOperation, sub: seg[1], op: seg[3]}, true
		}
	}
	return armPath{}, false
}

// methods lists the HTTP methods each route accepts.
func (r armRoute) methods() []string {
	switch r {
	case routeGroup:
		return []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodDelete}
	default:
		return []string{http.MethodGet}
	}
}

// armReq carries one request through the handlers. Handlers run under
// a.mu and answer through req.json, req.fail and req.empty (arm_response.go),
// which only record the answer: serve encodes and writes it after unlocking.
type armReq struct {
	r       *http.Request
	hdr     http.Header // the response headers (a map: setting them is no I/O)
	path    armPath
	api     string
	tok     *verifiedToken
	ident   *Identity // the caller in the current config; nil if unknown
	cfg     *Config
	body    []byte // PUT/PATCH body, read before locking (readBody)
	bodyErr error
	res     armResponse
}

func (a *armService) serve(w http.ResponseWriter, r *http.Request) {
	a.s.stats.armRequests.Add(1)
	a.commonHeaders(w, r)

	tok, ok := a.authenticate(w, r)
	if !ok {
		return
	}
	p, ok := parseARMPath(r.URL.EscapedPath())
	if !ok {
		writeARMError(w, http.StatusNotFound, "NotFound",
			fmt.Sprintf("The requested path '%s' is not served by this ARM emulator. It supports /tenants, /subscriptions, /subscriptions/{subscriptionId}, /subscriptions/{subscriptionId}/resourcegroups[/{name}] and /subscriptions/{subscriptionId}/operationresults/{id}.", r.URL.Path))
		return
	}
	if allowed := p.route.methods(); !contains(allowed, r.Method) {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
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
	if supported := apiVersionsFor(p.route); !contains(supported, api) {
		writeARMError(w, http.StatusBadRequest, "InvalidApiVersionParameter",
			fmt.Sprintf("The api-version '%s' is invalid. The supported versions are '%s'.", api, strings.Join(supported, ",")))
		return
	}

	req := &armReq{r: r, hdr: w.Header(), path: p, api: api, tok: tok}
	write := r.Method == http.MethodPut || r.Method == http.MethodPatch || r.Method == http.MethodDelete
	if r.Method == http.MethodPut || r.Method == http.MethodPatch {
		req.body, req.bodyErr = readBody(r)
	}
	a.handle(req, write)
	// Encoding and the network write happen after a.mu is released; a
	// write was committed to the store before handle returned.
	req.res.flush(w)
}

// handle runs req's handler under a.mu: shared for reads, exclusive for
// writes and for a read that finds a delete deadline passed (the sweep
// removes groups).
func (a *armService) handle(req *armReq, write bool) {
	if write {
		a.mu.Lock()
		defer a.mu.Unlock()
	} else {
		a.mu.RLock()
		if a.sweepDueLocked(a.s.now()) {
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
		if err := a.sweepLocked(a.s.now()); err != nil {
			a.internalError(req, err)
			return
		}
	}
	switch req.path.route {
	case routeTenants:
		a.listTenants(req)
	case routeSubscriptions:
		a.listSubscriptions(req)
	case routeSubscription:
		a.getSubscription(req)
	case routeGroups:
		a.listGroups(req)
	case routeGroup:
		switch req.r.Method {
		case http.MethodGet:
			a.getGroup(req, false)
		case http.MethodHead:
			a.getGroup(req, true)
		case http.MethodPut:
			a.putGroup(req)
		case http.MethodPatch:
			a.patchGroup(req)
		case http.MethodDelete:
			a.deleteGroup(req)
		}
	case routeOperation:
		a.getOperation(req)
	}
}

// commonHeaders sets the headers ARM sends on every response (§12.2).
func (a *armService) commonHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	id := newGUID()
	corr := r.Header.Get("x-ms-correlation-request-id")
	if corr == "" || len(corr) > 128 || strings.ContainsAny(corr, "\r\n") {
		// Echoing a client-sent id is unverified (§12.2); the recordings
		// show it equal to the request id when the client sends none.
		corr = id
	}
	h.Set("Cache-Control", "no-cache")
	h.Set("Pragma", "no-cache")
	h.Set("Expires", "-1")
	h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("x-ms-request-id", id)
	h.Set("x-ms-correlation-request-id", corr)
	h.Set("x-ms-routing-request-id", "EMULATOR:"+a.s.now().UTC().Format("20060102T150405Z")+":"+id)
	if cid := r.Header.Get("x-ms-client-request-id"); cid != "" && len(cid) <= 128 && !strings.ContainsAny(cid, "\r\n") {
		h.Set("x-ms-client-request-id", cid)
	}
}

// rateHeader is the x-ms-ratelimit header ARM sends for method (§12.2).
func rateHeader(method string) string {
	switch method {
	case http.MethodPut, http.MethodPatch, http.MethodPost:
		return "x-ms-ratelimit-remaining-subscription-writes"
	case http.MethodDelete:
		return "x-ms-ratelimit-remaining-subscription-deletes"
	}
	return "x-ms-ratelimit-remaining-subscription-reads"
}

// armError is ARM's ErrorResponse (§12.3).
type armError struct {
	Code    string     `json:"code"`
	Message string     `json:"message"`
	Target  string     `json:"target,omitempty"`
	Details []armError `json:"details,omitempty"`
}

func writeARMError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("x-ms-error-code", code)
	armJSON(w, status, armErrorBody{Error: armError{Code: code, Message: message}})
}

// encodeBufs recycles the buffers of jsonAppender bodies (list pages);
// buffers that grew past maxPooledBuf are left to the GC.
var encodeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 32<<10); return &b }}

const maxPooledBuf = 1 << 20

func armJSON(w http.ResponseWriter, status int, v any) {
	var b []byte
	var err error
	if a, ok := v.(jsonAppender); ok {
		buf := encodeBufs.Get().(*[]byte)
		b = a.appendJSON((*buf)[:0])
		defer func() {
			if cap(b) <= maxPooledBuf {
				*buf = b
				encodeBufs.Put(buf)
			}
		}()
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		// Only our own types are marshalled; this cannot fail for them.
		b = []byte(`{"error":{"code":"InternalServerError","message":"response encoding failed"}}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeEmpty(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

func (a *armService) internalError(req *armReq, err error) {
	a.s.logger.Error("ARM emulator internal error", "method", req.r.Method, "path", req.r.URL.Path, "err", err)
	req.fail(http.StatusInternalServerError, "InternalServerError",
		"The ARM emulator failed to process the request: "+err.Error())
}

// baseURL is scheme://host of the request, for nextLink and Location.
func baseURL(r *http.Request) string {
	scheme := "https"
	if r.TLS == nil {
		// Only when the handler is served without TLS (httptest); the
		// emulator's ARM listener is always HTTPS.
		scheme = "http"
	}
	return scheme + "://" + r.Host
}

// newGUID returns a random version-4 GUID.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
