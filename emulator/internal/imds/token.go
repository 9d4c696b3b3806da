package imds

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/httpx"
	"github.com/azmsi/azmsi/emulator/internal/tokens"
)

// checkHeaders applies the SSRF guards every IMDS route shares. It
// answers and returns false when the request must be refused.
func checkHeaders(w http.ResponseWriter, r *http.Request, tokenShape bool) bool {
	if !strings.EqualFold(strings.TrimSpace(r.Header.Get("Metadata")), "true") {
		if tokenShape {
			httpx.WriteOAuthError(w, http.StatusBadRequest, "bad_request_102", "Required metadata header not specified")
		} else {
			httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "Bad request. Required metadata header not specified"})
		}
		return false
	}
	// The status and text for X-Forwarded-For are unverified
	// (protocols.md §3.3); IMDS is documented to reject such requests.
	if _, ok := r.Header["X-Forwarded-For"]; ok {
		const msg = "Requests with an X-Forwarded-For header are rejected: IMDS must not be called through a proxy"
		if tokenShape {
			httpx.WriteOAuthError(w, http.StatusBadRequest, "bad_request", msg)
		} else {
			httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "Bad request. " + msg})
		}
		return false
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		if tokenShape {
			httpx.WriteOAuthError(w, http.StatusMethodNotAllowed, "method_not_allowed", "The request method "+strconv.Quote(r.Method)+" is not allowed; use GET")
		} else {
			httpx.WriteJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "Method not allowed"})
		}
		return false
	}
	return true
}

// TokenResponse is the IMDS token JSON; every number is a string of digits
// except refresh_in (protocols.md §1.2).
type TokenResponse struct {
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

// TokenQuery makes the checks of IMDS's token protocol that Azure Arc
// shares: the SSRF headers, the query's syntax, the api-version (valid says
// which are accepted, versionError words the refusal). On failure it has
// answered.
func TokenQuery(w http.ResponseWriter, r *http.Request, valid func(string) bool, versionError func(sent string) string) (url.Values, bool) {
	if !checkHeaders(w, r, true) {
		return nil, false
	}
	q, bad := httpx.ParseQuery(r.URL.RawQuery)
	if bad != "" {
		httpx.WriteOAuthError(w, http.StatusBadRequest, "invalid_request", bad)
		return nil, false
	}
	if v := q.Get("api-version"); !valid(v) {
		httpx.WriteOAuthError(w, http.StatusBadRequest, "invalid_request", versionError(httpx.Clip(v)))
		return nil, false
	}
	return q, true
}

// selectors are the query parameters that pick a user-assigned identity.
var selectors = []string{"client_id", "object_id", "msi_res_id", "mi_res_id"}

// ResourceAndSelector reads the resource and the one optional identity
// selector of an IMDS-style token query (IMDS and Arc), answering 400 in the
// IMDS error shape when either is wrong.
func ResourceAndSelector(w http.ResponseWriter, q url.Values) (resource, selName, selValue string, ok bool) {
	resource = q.Get("resource")
	if strings.TrimSpace(resource) == "" {
		httpx.WriteOAuthError(w, http.StatusBadRequest, "invalid_request", "Required query variable 'resource' is missing")
		return "", "", "", false
	}
	if err := tokens.CheckResource(resource); err != nil {
		httpx.WriteOAuthError(w, http.StatusBadRequest, "invalid_resource", err.Error())
		return "", "", "", false
	}
	selName, selValue, bad := SingleSelector(q, selectors...)
	if bad != "" {
		httpx.WriteOAuthError(w, http.StatusBadRequest, "invalid_request", bad)
		return "", "", "", false
	}
	return resource, selName, selValue, true
}

// Token implements GET /metadata/identity/oauth2/token (protocols.md §3,
// §14, §18): header checks, api-version, resource, selector, then a token
// from the cache or freshly minted.
func (s *Service) Token(w http.ResponseWriter, r *http.Request) {
	s.stats.TokenRequests.Add(1)
	q, ok := TokenQuery(w, r, isTokenAPIVersion, func(string) string {
		return "api-version is invalid or was not specified in the request; use 2018-02-01 or later"
	})
	if !ok {
		return
	}
	resource, selName, selValue, ok := ResourceAndSelector(w, q)
	if !ok {
		return
	}
	id, tok, status, desc := s.tokens.Issue(selName, selValue, resource, strings.EqualFold(q.Get("bypass_cache"), "true"))
	if id == nil {
		code := "invalid_request" // IMDS's code for both selection failures
		if status == http.StatusInternalServerError {
			code = "server_error"
		}
		httpx.WriteOAuthError(w, status, code, desc)
		return
	}
	resp := TokenBody(tok, s.tokens.ExpiresIn(tok), resource, id.ClientID)
	if s.refreshIn > 0 {
		resp.RefreshIn = int64(s.refreshIn.Seconds())
	}
	switch selName {
	case "object_id":
		resp.ObjectID = selValue
	case "msi_res_id", "mi_res_id":
		resp.MSIResID = selValue
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, resp)
}

// OpenIDConfig publishes a minimal OpenID configuration pointing at the
// JWKS, at /.well-known/openid-configuration and
// /<tenantId>/.well-known/openid-configuration.
func (s *Service) OpenIDConfig(w http.ResponseWriter, r *http.Request) {
	prefix := strings.TrimSuffix(httpx.CleanPath(r.URL.Path), "/.well-known/openid-configuration")
	cfg := s.config()
	if prefix != "" && !strings.EqualFold(prefix, "/"+cfg.TenantID) {
		httpx.WriteJSON(w, http.StatusNotFound, map[string]string{"error": "unknown tenant " + strings.TrimPrefix(prefix, "/")})
		return
	}
	base := "http://" + r.Host
	iss := "https://sts.windows.net/" + cfg.TenantID + "/"
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"issuer":                                iss,
		"jwks_uri":                              base + "/discovery/keys",
		"token_endpoint":                        base + "/metadata/identity/oauth2/token",
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"token"},
		"subject_types_supported":               []string{"pairwise"},
		"tenant_region_scope":                   "emulated",
	})
}

// TokenBody is the IMDS-shaped success body (IMDS and Azure Arc), every
// number a string; the caller adds refresh_in and the echoed selector.
func TokenBody(tok tokens.Minted, expiresIn int64, resource, clientID string) TokenResponse {
	in := httpx.Epoch(expiresIn)
	return TokenResponse{
		AccessToken: tok.Raw, ExpiresIn: in, ExpiresOn: httpx.Epoch(tok.ExpiresAt.Unix()),
		ExtExpiresIn: in, NotBefore: httpx.Epoch(tok.Issued.Unix()),
		Resource: resource, TokenType: "Bearer", ClientID: clientID,
	}
}

// SingleSelector reads at most one of names from q; more than one, or
// one sent with an empty value, is an error message. Names match without
// regard to case, so a miscased selector (Client_Id) selects like the
// documented spelling instead of silently meaning the default identity;
// how real IMDS treats case in parameter names is unverified.
func SingleSelector(q map[string][]string, names ...string) (name, value, bad string) {
	for _, n := range names {
		for k, v := range q {
			if !strings.EqualFold(k, n) || len(v) == 0 {
				continue
			}
			if v[0] == "" {
				return "", "", "The query parameter " + strconv.Quote(k) + " is empty; give the identity's id or leave the parameter out for the default identity"
			}
			if name != "" {
				return "", "", "Only one of " + strings.Join(names, ", ") + " may be specified; got " + name + " and " + k
			}
			name, value = n, v[0]
		}
	}
	return name, value, ""
}
