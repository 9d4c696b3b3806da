package entra

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultClockSkew is how far outside an assertion's nbf/exp window it is
// still accepted (Entra's tolerance is unverified, U19-11).
const DefaultClockSkew = 5 * time.Minute

// EndpointOptions configure an Endpoint. Apps, Keys and Mint are required.
type EndpointOptions struct {
	// TenantID is the GUID of the one tenant served; TenantDomains are
	// other names accepted for it in the path (e.g. contoso.onmicrosoft.com).
	TenantID      string
	TenantDomains []string
	Apps          AppLookup
	Keys          KeyLookup
	Mint          MintFunc
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ClockSkew widens the assertion's validity window; zero means
	// DefaultClockSkew.
	ClockSkew time.Duration
	// BaseURL (scheme://host[:port], no path) names this endpoint in the
	// documents it serves; empty means the scheme and Host of each request.
	BaseURL string
	// Logger gets one debug line per token request (tenant, client ID,
	// outcome); never the assertion or the token. nil means discard.
	Logger *slog.Logger
}

// Endpoint is an emulated Entra ID v2 endpoint for the client-credentials
// grant with a federated assertion.
type Endpoint struct {
	o EndpointOptions

	mu        sync.Mutex
	faults    Faults
	remaining int // StatusCount left; -1 = unlimited
}

// NewEndpoint checks o.
func NewEndpoint(o EndpointOptions) (*Endpoint, error) {
	switch {
	case !isGUID(o.TenantID):
		return nil, fmt.Errorf("entra: tenant ID %q is not a GUID", o.TenantID)
	case o.Apps == nil || o.Keys == nil || o.Mint == nil:
		return nil, errors.New("entra: an endpoint needs Apps, Keys and Mint")
	}
	if o.BaseURL != "" {
		u, err := url.Parse(o.BaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return nil, fmt.Errorf("entra: base URL %q must be scheme://host[:port] without a path", o.BaseURL)
		}
		o.BaseURL = u.Scheme + "://" + u.Host
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ClockSkew == 0 {
		o.ClockSkew = DefaultClockSkew
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Endpoint{o: o}, nil
}

// SetFaults installs the exchange faults of f (NoCredential, Status,
// StatusCount, RetryAfter); the file faults belong to the Projector.
func (e *Endpoint) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = f
	e.remaining = f.StatusCount
	if f.StatusCount == 0 {
		e.remaining = -1
	}
	return nil
}

// injected returns the status fault for this request, if any, and counts it.
func (e *Endpoint) injected() *Error {
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.faults
	if f.Status == 0 || e.remaining == 0 {
		return nil
	}
	if e.remaining > 0 {
		e.remaining--
	}
	ra := f.RetryAfter
	if ra == 0 {
		ra = time.Second
	}
	var err *Error
	if f.Status == http.StatusTooManyRequests {
		// Entra's throttling body is undocumented; RFC 6749's
		// temporarily_unavailable is what clients expect (unverified).
		err = newError(f.Status, "temporarily_unavailable", CodeThrottled, "The request was throttled (injected fault). Retry after %d seconds.", int(ra/time.Second))
	} else {
		err = newError(f.Status, "temporarily_unavailable", CodeServiceUnavailable, "The service is temporarily unavailable (injected fault %d).", f.Status)
	}
	err.RetryAfter = ra
	return err
}

// noCredential reports the NoCredential fault.
func (e *Endpoint) noCredential() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.faults.NoCredential
}

// Handler serves, for the tenant in the first path segment:
//
//	POST /{tenant}/oauth2/v2.0/token
//	GET  /{tenant}/v2.0/.well-known/openid-configuration
//	GET  /{any}/discovery/instance   (instance discovery; MSAL uses "common")
func (e *Endpoint) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/{tenant}/oauth2/v2.0/token", e.serveToken)
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", e.serveOpenIDConfiguration)
	mux.HandleFunc("GET /{tenant}/discovery/instance", e.serveInstanceDiscovery)
	return mux
}

// TokenPath is the token endpoint's path for tenant.
func TokenPath(tenant string) string { return "/" + tenant + "/oauth2/v2.0/token" }

func (e *Endpoint) base(r *http.Request) string {
	if e.o.BaseURL != "" {
		return e.o.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// tenant resolves the path's tenant to the tenant GUID.
func (e *Endpoint) tenant(name string) (string, *Error) {
	if strings.EqualFold(name, e.o.TenantID) {
		return e.o.TenantID, nil
	}
	for _, d := range e.o.TenantDomains {
		if strings.EqualFold(name, d) {
			return e.o.TenantID, nil
		}
	}
	// Status and error value unverified (U19-8).
	return "", newError(http.StatusBadRequest, "invalid_request", CodeTenantNotFound,
		"Tenant '%s' not found. Check to make sure you have the correct tenant ID (AZURE_TENANT_ID) and are signing into the correct cloud.", clip(name))
}

func (e *Endpoint) serveToken(w http.ResponseWriter, r *http.Request) {
	now := e.o.Now()
	corr := r.Header.Get("client-request-id")
	if len(corr) > 64 {
		corr = ""
	}
	tok, clientID, ferr := e.exchange(r, now)
	if ferr != nil {
		e.o.Logger.Debug("entra: token request refused", "path", r.URL.Path, "client_id", clip(clientID),
			"status", ferr.Status, "aadsts", ferr.AADSTS)
		writeError(w, ferr, e.base(r), corr, now)
		return
	}
	expiresIn := int64(tok.ExpiresAt.Sub(now) / time.Second)
	if expiresIn < 1 {
		expiresIn = 1
	}
	e.o.Logger.Debug("entra: token issued", "path", r.URL.Path, "client_id", clientID, "expires_in", expiresIn)
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     expiresIn,
		"ext_expires_in": expiresIn, // present in practice (unverified, U19-5)
		// Whether Entra sends refresh_in for this grant is unverified
		// (U19-6); sending half the lifetime exercises the clients that
		// honour it.
		"refresh_in":   expiresIn / 2,
		"access_token": tok.Raw,
	})
}

// exchange runs the checks of a token request in Entra's order and mints.
func (e *Endpoint) exchange(r *http.Request, now time.Time) (AccessToken, string, *Error) {
	if r.Method != http.MethodPost {
		return AccessToken{}, "", newError(http.StatusBadRequest, "invalid_request", CodeNotPost,
			"The request must be a POST with a form body; got %s.", r.Method)
	}
	if _, err := e.tenant(r.PathValue("tenant")); err != nil {
		return AccessToken{}, "", err
	}
	if ferr := e.injected(); ferr != nil {
		return AccessToken{}, "", ferr
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxForm+1))
	if err != nil {
		return AccessToken{}, "", newError(http.StatusBadRequest, "invalid_request", CodeMissingParameter, "The request body could not be read.")
	}
	req, ferr := parseTokenForm(r.Header.Get("Content-Type"), body)
	if ferr != nil {
		return AccessToken{}, req.ClientID, ferr
	}
	app, ok := e.o.Apps(req.ClientID)
	if !ok {
		// Status and error value unverified (U19-8).
		return AccessToken{}, req.ClientID, newError(http.StatusBadRequest, "unauthorized_client", CodeAppNotFound,
			"Application with identifier '%s' was not found in the directory '%s'. Check AZURE_CLIENT_ID: it must be the client ID of a user-assigned identity (or app) of this tenant.",
			clip(req.ClientID), e.o.TenantID)
	}
	resource, ferr := resourceOf(req.Scope)
	if ferr != nil {
		return AccessToken{}, req.ClientID, ferr
	}
	a, err := parseAssertion(req.Assertion)
	if err != nil {
		return AccessToken{}, req.ClientID, newError(http.StatusBadRequest, "invalid_request", CodeMalformedAssertion,
			"JWT token is invalid or malformed: %s.", err)
	}
	if ferr := e.match(app, a); ferr != nil {
		return AccessToken{}, req.ClientID, ferr
	}
	key, err := e.o.Keys(a.Issuer, a.KeyID)
	if err != nil {
		if errors.Is(err, ErrUnknownKey) {
			return AccessToken{}, req.ClientID, signatureError(a)
		}
		// Unverified code (U19-9).
		return AccessToken{}, req.ClientID, newError(http.StatusBadRequest, "invalid_request", CodeIssuerUnreachable,
			"Request to External OIDC endpoint failed: the keys of issuer '%s' could not be found.", clip(a.Issuer))
	}
	if err := a.verify(key); err != nil {
		return AccessToken{}, req.ClientID, signatureError(a)
	}
	if ferr := e.checkTimes(a, now); ferr != nil {
		return AccessToken{}, req.ClientID, ferr
	}
	tok, err := e.o.Mint(app, resource)
	if err != nil {
		var fe *Error
		if errors.As(err, &fe) {
			return AccessToken{}, req.ClientID, fe
		}
		return AccessToken{}, req.ClientID, newError(http.StatusInternalServerError, "server_error", CodeServiceUnavailable,
			"The token could not be issued: %s.", err)
	}
	return tok, req.ClientID, nil
}

func signatureError(a *assertion) *Error {
	// Error value unverified (U19-8).
	return newError(http.StatusUnauthorized, "invalid_client", CodeAssertionSignature,
		"Client assertion failed signature validation: no key '%s' of issuer '%s' verifies it.", clip(a.KeyID), clip(a.Issuer))
}

// match finds a federated credential of app that the assertion satisfies.
func (e *Endpoint) match(app App, a *assertion) *Error {
	if !e.noCredential() {
		for _, fc := range app.FederatedCredentials {
			if fc.matches(a) {
				return nil
			}
		}
	}
	return newError(http.StatusBadRequest, "invalid_request", CodeNoFederatedCredential,
		"No matching federated identity record found for presented assertion. Assertion Issuer: '%s'. Assertion Subject: '%s'. Assertion Audience: '%s'.",
		clip(a.Issuer), clip(a.Subject), clip(strings.Join(a.Audiences, ",")))
}

// checkTimes applies nbf ≤ now ≤ exp with the clock skew.
func (e *Endpoint) checkTimes(a *assertion, now time.Time) *Error {
	from := a.NotBefore
	if from.IsZero() {
		from = a.IssuedAt
	}
	late := now.After(a.Expiry.Add(e.o.ClockSkew))
	early := !from.IsZero() && now.Add(e.o.ClockSkew).Before(from)
	if !late && !early {
		return nil
	}
	const layout = "01/02/2006 15:04:05"
	fromText := "(none)"
	if !from.IsZero() {
		fromText = from.UTC().Format(layout)
	}
	// Wording from issue threads; status and error value unverified (U19-7).
	return newError(http.StatusUnauthorized, "invalid_client", CodeExpiredAssertion,
		"Client assertion is not within its valid time range. Current time: %s, assertion valid from %s, expiry time of assertion %s. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
		now.UTC().Format(layout), fromText, a.Expiry.UTC().Format(layout))
}

func (e *Endpoint) serveOpenIDConfiguration(w http.ResponseWriter, r *http.Request) {
	base := e.base(r)
	tid, ferr := e.tenant(r.PathValue("tenant"))
	if ferr != nil {
		// The discovery route answers unknown tenants with invalid_tenant
		// (unverified).
		ferr.Code = "invalid_tenant"
		writeError(w, ferr, base, r.Header.Get("client-request-id"), e.o.Now())
		return
	}
	t := base + "/" + tid
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                t + "/v2.0",
		"authorization_endpoint":                t + "/oauth2/v2.0/authorize",
		"token_endpoint":                        t + "/oauth2/v2.0/token",
		"device_authorization_endpoint":         t + "/oauth2/v2.0/devicecode",
		"end_session_endpoint":                  t + "/oauth2/v2.0/logout",
		"jwks_uri":                              t + "/discovery/v2.0/keys",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"tenant_region_scope":                   "NA",
		"cloud_instance_name":                   "microsoftonline.com",
	})
}

// serveInstanceDiscovery answers MSAL's instance discovery for this host:
// the tenant discovery endpoint and this host as its only alias, so the
// client keeps talking to the emulator.
func (e *Endpoint) serveInstanceDiscovery(w http.ResponseWriter, r *http.Request) {
	base := e.base(r)
	host := strings.TrimPrefix(strings.TrimPrefix(base, "https://"), "http://")
	auth, err := url.Parse(r.URL.Query().Get("authorization_endpoint"))
	if err != nil || auth.Host == "" || !strings.EqualFold(auth.Host, host) {
		ferr := newError(http.StatusBadRequest, "invalid_instance", CodeUnknownInstance,
			"Unknown or invalid instance: authorization_endpoint must be on %s.", host)
		writeError(w, ferr, base, r.Header.Get("client-request-id"), e.o.Now())
		return
	}
	tenant, _, _ := strings.Cut(strings.TrimPrefix(auth.Path, "/"), "/")
	if tenant == "" {
		tenant = "common"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": base + "/" + url.PathEscape(tenant) + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata": []map[string]any{{
			"preferred_network": host,
			"preferred_cache":   host,
			"aliases":           []string{host},
		}},
	})
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
