package emulator

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// imdsHandler routes the plain-HTTP IMDS listener. Routing is by cleaned
// path and never redirects (see cleanPath).
func (s *Server) imdsHandler() http.Handler {
	control := s.controlHandler()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := cleanPath(r.URL.Path)
		switch {
		case p == "/_emulator" || strings.HasPrefix(p, "/_emulator/"):
			control.ServeHTTP(w, r)
		case p == "/discovery/keys" || p == "/discovery/v2.0/keys":
			writeJSON(w, http.StatusOK, s.jwks())
		case strings.HasSuffix(p, "/.well-known/openid-configuration"):
			s.serveOpenIDConfig(w, r, strings.TrimSuffix(p, "/.well-known/openid-configuration"))
		case p == "/metadata/identity/oauth2/token":
			s.serveToken(w, r)
		case p == "/metadata/identity/info":
			s.serveIdentityInfo(w, r)
		case p == "/metadata/versions":
			s.serveVersions(w, r)
		case p == "/metadata/instance" || strings.HasPrefix(p, "/metadata/instance/"):
			s.serveInstance(w, r, strings.TrimPrefix(p, "/metadata/instance"))
		default:
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "Not found"})
		}
	})
	return s.withLogging("imds", h)
}

// imdsTokenError is the OAuth-style error body of the token endpoint.
type imdsTokenError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func tokenErr(w http.ResponseWriter, code int, e, desc string) {
	writeJSON(w, code, imdsTokenError{Error: e, Description: desc})
}

// checkIMDSHeaders applies the SSRF guards every IMDS route shares. It
// answers and returns false when the request must be refused.
func checkIMDSHeaders(w http.ResponseWriter, r *http.Request, tokenShape bool) bool {
	if !strings.EqualFold(strings.TrimSpace(r.Header.Get("Metadata")), "true") {
		if tokenShape {
			tokenErr(w, http.StatusBadRequest, "bad_request_102", "Required metadata header not specified")
		} else {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "Bad request. Required metadata header not specified"})
		}
		return false
	}
	// The status and text for X-Forwarded-For are unverified
	// (protocols.md §3.3); IMDS is documented to reject such requests.
	if _, ok := r.Header["X-Forwarded-For"]; ok {
		const msg = "Requests with an X-Forwarded-For header are rejected: IMDS must not be called through a proxy"
		if tokenShape {
			tokenErr(w, http.StatusBadRequest, "bad_request", msg)
		} else {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "Bad request. " + msg})
		}
		return false
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		if tokenShape {
			tokenErr(w, http.StatusMethodNotAllowed, "method_not_allowed", "The request method "+strconv.Quote(r.Method)+" is not allowed; use GET")
		} else {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "Method not allowed"})
		}
		return false
	}
	return true
}

// parseQuery decodes the query, accepting percent-encoded and raw values,
// and refuses repeated parameter names (IMDS rejects them; the exact
// response is unverified, protocols.md §3.1).
func parseQuery(raw string) (url.Values, string) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, "The query string is malformed: " + err.Error()
	}
	for k, v := range q {
		if len(v) > 1 {
			return nil, "The query parameter " + strconv.Quote(k) + " is specified more than once"
		}
	}
	return q, ""
}

// tokenResponse is the IMDS token JSON; every number is a string of digits
// except refresh_in (protocols.md §1.2).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    string `json:"expires_in"`
	ExpiresOn    string `json:"expires_on"`
	ExtExpiresIn string `json:"ext_expires_in"`
	NotBefore    string `json:"not_before"`
	RefreshIn    int64  `json:"refresh_in,omitempty"`
	Resource     string `json:"resource"`
	TokenType    string `json:"token_type"`
	ClientID     string `json:"client_id"`
	ObjectID     string `json:"object_id,omitempty"`
	MSIResID     string `json:"msi_res_id,omitempty"`
}

// imdsTokenQuery makes the checks of IMDS's token protocol that Azure Arc
// shares: the SSRF headers, the query's syntax, the api-version (valid says
// which are accepted, versionError words the refusal). On failure it has
// answered.
func imdsTokenQuery(w http.ResponseWriter, r *http.Request, valid func(string) bool, versionError func(sent string) string) (url.Values, bool) {
	if !checkIMDSHeaders(w, r, true) {
		return nil, false
	}
	q, bad := parseQuery(r.URL.RawQuery)
	if bad != "" {
		tokenErr(w, http.StatusBadRequest, "invalid_request", bad)
		return nil, false
	}
	if v := q.Get("api-version"); !valid(v) {
		tokenErr(w, http.StatusBadRequest, "invalid_request", versionError(clip(v)))
		return nil, false
	}
	return q, true
}

// selectors are the query parameters that pick a user-assigned identity.
var selectors = []string{"client_id", "object_id", "msi_res_id", "mi_res_id"}

// resourceAndSelector reads the resource and the one optional identity
// selector of an IMDS-style token query (IMDS and Arc), answering 400 in the
// IMDS error shape when either is wrong.
func resourceAndSelector(w http.ResponseWriter, q url.Values) (resource, selName, selValue string, ok bool) {
	resource = q.Get("resource")
	if strings.TrimSpace(resource) == "" {
		tokenErr(w, http.StatusBadRequest, "invalid_request", "Required query variable 'resource' is missing")
		return "", "", "", false
	}
	selName, selValue, bad := singleSelector(q, selectors...)
	if bad != "" {
		tokenErr(w, http.StatusBadRequest, "invalid_request", bad)
		return "", "", "", false
	}
	return resource, selName, selValue, true
}

// serveToken implements GET /metadata/identity/oauth2/token (protocols.md §3,
// §14, §18): header checks, api-version, resource, selector, then a token
// from the cache or freshly minted.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	s.stats.tokenRequests.Add(1)
	q, ok := imdsTokenQuery(w, r, isTokenAPIVersion, func(string) string {
		return "api-version is invalid or was not specified in the request; use 2018-02-01 or later"
	})
	if !ok {
		return
	}
	resource, selName, selValue, ok := resourceAndSelector(w, q)
	if !ok {
		return
	}
	id, tok, status, desc := s.issue(selName, selValue, resource, strings.EqualFold(q.Get("bypass_cache"), "true"))
	if id == nil {
		code := "invalid_request" // IMDS's code for both selection failures
		if status == http.StatusInternalServerError {
			code = "server_error"
		}
		tokenErr(w, status, code, desc)
		return
	}
	resp := s.imdsTokenBody(tok, resource, id.ClientID)
	if s.opts.RefreshIn > 0 {
		resp.RefreshIn = int64(s.opts.RefreshIn.Seconds())
	}
	switch selName {
	case "object_id":
		resp.ObjectID = selValue
	case "msi_res_id", "mi_res_id":
		resp.MSIResID = selValue
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, resp)
}

// selectIdentity resolves the selector; on failure it returns nil and the
// error response. "Identity not found" must be a plain 400 Bad Request: the
// Azure CLI branches on the standard reason phrase (protocols.md §18).
func selectIdentity(cfg *Config, name, value string) (id *Identity, status int, desc string) {
	match := func(f func(*Identity) bool) (*Identity, int, string) {
		for i := range cfg.Identities {
			if f(&cfg.Identities[i]) {
				return &cfg.Identities[i], 0, ""
			}
		}
		return nil, http.StatusBadRequest, "Identity not found"
	}
	switch name {
	case "client_id":
		return match(func(i *Identity) bool { return strings.EqualFold(i.ClientID, value) })
	case "object_id":
		return match(func(i *Identity) bool { return strings.EqualFold(i.ObjectID, value) })
	case "msi_res_id", "mi_res_id":
		return match(func(i *Identity) bool { return i.Kind == KindUser && strings.EqualFold(i.ResourceID, value) })
	}
	if sys := cfg.SystemIdentity(); sys != nil {
		return sys, 0, ""
	}
	if len(cfg.Identities) == 1 {
		// Only user-assigned identities remain; with exactly one, IMDS uses it.
		return &cfg.Identities[0], 0, ""
	}
	// Wording as reported for real IMDS; unverified.
	return nil, http.StatusBadRequest, "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request"
}

// serveOpenIDConfig publishes a minimal OpenID configuration pointing at the
// JWKS, at /.well-known/openid-configuration and
// /<tenantId>/.well-known/openid-configuration.
func (s *Server) serveOpenIDConfig(w http.ResponseWriter, r *http.Request, prefix string) {
	cfg := s.config()
	if prefix != "" && !strings.EqualFold(prefix, "/"+cfg.TenantID) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown tenant " + strings.TrimPrefix(prefix, "/")})
		return
	}
	base := "http://" + r.Host
	iss := "https://sts.windows.net/" + cfg.TenantID + "/"
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                iss,
		"jwks_uri":                              base + "/discovery/keys",
		"token_endpoint":                        base + "/metadata/identity/oauth2/token",
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"token"},
		"subject_types_supported":               []string{"pairwise"},
		"tenant_region_scope":                   "emulated",
	})
}
