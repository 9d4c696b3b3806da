package broker

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/azmsi/azmsi/identity"
)

// Paths served by the broker.
const (
	TokenPath = "/metadata/identity/oauth2/token"
	StatsPath = "/_broker/stats"
)

// minAPIVersion is the oldest api-version IMDS accepts for tokens.
const minAPIVersion = "2018-02-01"

// unixConn marks, in a request's context, a connection accepted on a Unix
// socket: its peer is whoever the socket's file mode let in.
type unixConn struct{}

// errorBody is IMDS's token error shape (protocols.md §3.3).
type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// tokenResponse is IMDS's success shape: every number a string
// (protocols.md §3.2).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    string `json:"expires_in"`
	ExpiresOn    string `json:"expires_on"`
	ExtExpiresIn string `json:"ext_expires_in"`
	NotBefore    string `json:"not_before"`
	Resource     string `json:"resource"`
	TokenType    string `json:"token_type"`
	ClientID     string `json:"client_id,omitempty"`
	ObjectID     string `json:"object_id,omitempty"`
	MSIResID     string `json:"msi_res_id,omitempty"`
}

// ServeHTTP answers the IMDS token route and the stats route. Every route
// refuses non-loopback TCP peers (403), a Host that is not the listener's
// (403: DNS rebinding), requests a browser sent for another site (Origin or
// Sec-Fetch-Site: 403), requests that went through a proxy (X-Forwarded-For
// or Forwarded: 400), requests without "Metadata: true" (400), other
// methods than GET (405) and requests with a body (400).
func (b *Broker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t0 := time.Now()
	b.requests.Add(1)
	rec := &statusRecorder{ResponseWriter: w}
	id, resource := b.route(rec, r)
	b.log.Info("azmsi broker request", "peer", peerKind(r), "method", r.Method, "path", r.URL.Path,
		"identity", id, "resource", resource, "status", rec.status, "duration", time.Since(t0))
}

// route dispatches and returns what to log about the request.
func (b *Broker) route(w *statusRecorder, r *http.Request) (id, resource string) {
	if !peerAllowed(r) {
		b.reject(w, http.StatusForbidden, "forbidden", "The azmsi broker answers only loopback and Unix-socket clients")
		return "", ""
	}
	if !hostAllowed(r) {
		b.reject(w, http.StatusForbidden, "forbidden", "The Host header does not name the azmsi broker's listener; use http://127.0.0.1:PORT (or localhost, [::1])")
		return "", ""
	}
	if crossSite(r) {
		b.reject(w, http.StatusForbidden, "forbidden", "The azmsi broker does not answer requests a browser sends on behalf of a web page")
		return "", ""
	}
	if r.Header.Get(hopHeader) != "" {
		b.reject(w, http.StatusLoopDetected, "loop_detected", "This request came from an azmsi broker: the broker's upstream endpoint points back at a broker; set --endpoint to the real managed-identity endpoint")
		return "", ""
	}
	if _, ok := r.Header["X-Forwarded-For"]; ok || r.Header.Get("Forwarded") != "" {
		b.reject(w, http.StatusBadRequest, "bad_request", "Requests with an X-Forwarded-For or Forwarded header are rejected: the broker, like IMDS, must not be called through a proxy")
		return "", ""
	}
	p := r.URL.Path
	if p != TokenPath && p != StatsPath {
		b.reject(w, http.StatusNotFound, "not_found", "The azmsi broker serves "+TokenPath+" and "+StatsPath+" only")
		return "", ""
	}
	if !strings.EqualFold(strings.TrimSpace(r.Header.Get("Metadata")), "true") {
		b.reject(w, http.StatusBadRequest, "bad_request_102", "Required metadata header not specified")
		return "", ""
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		b.reject(w, http.StatusMethodNotAllowed, "method_not_allowed", "The request method "+strconv.Quote(r.Method)+" is not allowed; use GET")
		return "", ""
	}
	if r.ContentLength != 0 {
		// Refused before reading: a body sent slowly would hold the
		// connection for nothing.
		w.Header().Set("Connection", "close")
		b.reject(w, http.StatusBadRequest, "bad_request", "Token and stats requests have no body")
		return "", ""
	}
	if p == StatsPath {
		writeJSON(w, http.StatusOK, b.Stats())
		return "", ""
	}
	return b.serveToken(w, r)
}

// peerAllowed accepts Unix-socket peers and loopback TCP peers.
func peerAllowed(r *http.Request) bool {
	if r.Context().Value(unixConn{}) != nil {
		return true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hostAllowed accepts, on TCP, a Host naming the loopback listener the
// request came in on (127.0.0.1, localhost or ::1, with its port): a web
// page that rebinds its own DNS name to 127.0.0.1 reaches the port, but
// its requests still carry its name. Unix-socket peers are not browsers.
func hostAllowed(r *http.Request) bool {
	if r.Context().Value(unixConn{}) != nil {
		return true
	}
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	_, port, err := net.SplitHostPort(local.String())
	if err != nil {
		return false
	}
	host, hport, err := net.SplitHostPort(r.Host)
	if err != nil || hport != port {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// crossSite reports a request a browser made for a web page: browsers send
// Origin on cross-origin requests (and on any POST) and Sec-Fetch-Site on
// every request; only "none" (typed in the address bar) is the user's own.
// Programs asking for tokens send neither.
func crossSite(r *http.Request) bool {
	if _, ok := r.Header["Origin"]; ok {
		return true
	}
	s := r.Header.Get("Sec-Fetch-Site")
	return s != "" && !strings.EqualFold(s, "none")
}

func peerKind(r *http.Request) string {
	if r.Context().Value(unixConn{}) != nil {
		return "unix"
	}
	return r.RemoteAddr
}

// serveToken implements GET /metadata/identity/oauth2/token.
func (b *Broker) serveToken(w http.ResponseWriter, r *http.Request) (string, string) {
	q, msg := parseTokenQuery(r.URL.RawQuery)
	if msg != "" {
		b.reject(w, http.StatusBadRequest, "invalid_request", msg)
		return "", ""
	}
	if v := q.Get("api-version"); !validAPIVersion(v) {
		b.reject(w, http.StatusBadRequest, "invalid_request", "api-version is invalid or was not specified in the request; use "+minAPIVersion+" or later")
		return "", ""
	}
	resource := q.Get("resource")
	if strings.TrimSpace(resource) == "" {
		b.reject(w, http.StatusBadRequest, "invalid_request", "Required query variable 'resource' is missing")
		return "", ""
	}
	if _, err := identity.ScopeToResource(resource); err != nil {
		b.reject(w, http.StatusBadRequest, "invalid_request", "The resource is invalid: "+err.Error())
		return "", resource
	}
	id, selName, selValue, msg := parseSelector(q)
	if msg != "" {
		b.reject(w, http.StatusBadRequest, "invalid_request", msg)
		return "", resource
	}
	if !b.allow.allows(id) {
		b.reject(w, http.StatusForbidden, "forbidden", "The azmsi broker does not hand out tokens of the "+id.String()+": it is not in the broker's --allow-identity list")
		return id.String(), resource
	}
	tok, meta, hit, err := b.token(r.Context(), id, resource)
	if err != nil {
		b.errs.Add(1)
		writeUpstreamError(w, r.Context(), err)
		return id.String(), resource
	}
	now := b.clock.Now()
	expiresIn := max(int64(tok.ExpiresOn.Sub(now)/time.Second), 0)
	nbf := meta.notBefore
	if nbf.IsZero() {
		nbf = meta.received
	}
	resp := tokenResponse{
		AccessToken:  tok.AccessToken,
		ExpiresIn:    strconv.FormatInt(expiresIn, 10),
		ExpiresOn:    strconv.FormatInt(tok.ExpiresOn.Unix(), 10),
		ExtExpiresIn: strconv.FormatInt(expiresIn, 10),
		NotBefore:    strconv.FormatInt(nbf.Unix(), 10),
		Resource:     resource,
		TokenType:    tok.Type,
		ClientID:     meta.clientID,
	}
	switch selName {
	case "client_id":
		if resp.ClientID == "" {
			resp.ClientID = selValue
		}
	case "object_id":
		resp.ObjectID = selValue
	case "msi_res_id", "mi_res_id":
		resp.MSIResID = selValue
	}
	if resp.TokenType == "" {
		resp.TokenType = "Bearer"
	}
	b.served.Add(1)
	if hit {
		b.hits.Add(1)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, resp)
	return id.String(), resource
}

// validAPIVersion accepts a date version (optionally with a suffix such as
// "-preview") not older than minAPIVersion.
func validAPIVersion(v string) bool {
	if len(v) < len(minAPIVersion) {
		return false
	}
	if _, err := time.Parse("2006-01-02", v[:10]); err != nil {
		return false
	}
	return v[:10] >= minAPIVersion && (len(v) == 10 || v[10] == '-')
}

// parseTokenQuery reads the query of a token request with its parameter
// names in lower case: names are matched case-insensitively (what IMDS
// does with "Client_Id" is unverified; what matters is that a miscased
// selector never silently means the system-assigned identity). A name
// given twice, in any case, is an error message.
func parseTokenQuery(raw string) (url.Values, string) {
	in, err := url.ParseQuery(raw)
	if err != nil {
		return nil, "The query string is malformed"
	}
	q := make(url.Values, len(in))
	for k, v := range in {
		lk := strings.ToLower(k)
		if len(v) > 1 || q[lk] != nil {
			return nil, "The query parameter " + strconv.Quote(clipName(lk)) + " is specified more than once"
		}
		q[lk] = v
	}
	return q, ""
}

// clipName bounds a client-chosen name quoted in an answer.
func clipName(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// selectorNames are the query parameters selecting a user-assigned
// identity; mi_res_id is the older spelling of msi_res_id.
var selectorNames = []string{"client_id", "object_id", "msi_res_id", "mi_res_id"}

// parseSelector returns the requested identity, or an error message. A
// selector present but empty is an error: read as absent it would hand
// out the system-assigned identity's token to a client that asked for
// another.
func parseSelector(q url.Values) (id identity.ID, name, value, msg string) {
	for _, n := range selectorNames {
		vs, ok := q[n]
		if !ok {
			continue
		}
		v := vs[0]
		if strings.TrimSpace(v) == "" {
			return identity.ID{}, "", "", "The " + n + " parameter is empty; give the identity's ID, or leave the parameter out for the system-assigned identity"
		}
		if name != "" {
			return identity.ID{}, "", "", "Only one of client_id, object_id and msi_res_id may be specified; got " + name + " and " + n
		}
		name, value = n, v
	}
	switch name {
	case "client_id":
		id = identity.ClientID(value)
	case "object_id":
		id = identity.ObjectID(value)
	case "msi_res_id", "mi_res_id":
		id = identity.ResourceID(value)
	default:
		return identity.ID{}, "", "", ""
	}
	if err := id.Validate(); err != nil {
		return identity.ID{}, "", "", "Invalid " + name + ": " + err.Error()
	}
	return id, name, value, ""
}

// writeUpstreamError maps a credential error to IMDS's error shape:
//   - *identity.AuthError (the endpoint answered an error): its status,
//     error and error_description, passed through;
//   - identity.ErrUnavailable (the endpoint cannot be reached or is not a
//     managed-identity endpoint): 503 service_unavailable, which every IMDS
//     client retries with backoff;
//   - too many identities: 503; a client that gave up: 504;
//   - anything else (e.g. an unusable token response): 502 bad_gateway.
func writeUpstreamError(w http.ResponseWriter, ctx context.Context, err error) {
	var ae *identity.AuthError
	switch {
	case errors.As(err, &ae):
		status := ae.StatusCode
		if status < 400 || status > 599 {
			status = http.StatusBadGateway
		}
		code, desc := ae.Code, ae.Description
		if code == "" {
			code = defaultCode(status)
		}
		if desc == "" {
			desc = http.StatusText(ae.StatusCode)
		}
		writeJSON(w, status, errorBody{code, desc})
	case errors.Is(err, identity.ErrUnavailable):
		writeJSON(w, http.StatusServiceUnavailable, errorBody{"service_unavailable", "azmsi broker: the upstream managed-identity endpoint is unavailable: " + err.Error()})
	case errors.Is(err, errTooManyIdentities), errors.Is(err, ErrClosed):
		writeJSON(w, http.StatusServiceUnavailable, errorBody{"service_unavailable", "azmsi broker: " + err.Error()})
	case ctx.Err() != nil:
		writeJSON(w, http.StatusGatewayTimeout, errorBody{"gateway_timeout", "azmsi broker: the request ended before the upstream answered"})
	default:
		writeJSON(w, http.StatusBadGateway, errorBody{"bad_gateway", "azmsi broker: " + err.Error()})
	}
}

// defaultCode names an error status the way IMDS's swagger enum does.
func defaultCode(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusTooManyRequests:
		return "too_many_requests"
	case http.StatusServiceUnavailable:
		return "service_unavailable"
	}
	return "server_error"
}

func (b *Broker) reject(w http.ResponseWriter, status int, code, desc string) {
	b.rejected.Add(1)
	if len(desc) > maxDescription {
		// A description may quote the client's input (a resource, an ID).
		desc = strings.ToValidUTF8(desc[:maxDescription], "") + "…"
	}
	writeJSON(w, status, errorBody{code, desc})
}

// maxDescription bounds an error_description the broker writes itself.
const maxDescription = 512

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":"server_error","error_description":"encoding the response failed"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// statusRecorder remembers the status for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
