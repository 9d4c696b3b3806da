package identity

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/azmsi/azmsi/internal/azhttp"
)

// Variables the AKS workload-identity webhook injects (protocols-2026.md
// §19.2).
const (
	envFederatedTokenFile = "AZURE_FEDERATED_TOKEN_FILE"
	envClientID           = "AZURE_CLIENT_ID"
	envTenantID           = "AZURE_TENANT_ID"
	envAuthorityHost      = "AZURE_AUTHORITY_HOST"
)

// defaultAuthorityHost is the public cloud's Entra ID.
const defaultAuthorityHost = "https://login.microsoftonline.com"

// Form values of the client-credentials grant with a JWT assertion.
const (
	grantClientCredentials = "client_credentials"
	assertionTypeJWTBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

// maxAssertionFile bounds the projected token file (about 1 KB in practice).
const maxAssertionFile = 64 << 10

// tenantRE accepts a tenant GUID or a domain name; anything with a slash,
// query or space would change the token URL.
var tenantRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$`)

// workloadSource speaks AKS workload identity (protocols-2026.md §19): the
// projected service-account token in AZURE_FEDERATED_TOKEN_FILE is sent as a
// client assertion to Entra ID's v2 token endpoint,
// {authority}/{tenant}/oauth2/v2.0/token, for the identity in
// AZURE_CLIENT_ID. The file is read afresh for every request, since the
// kubelet rewrites it.
type workloadSource struct {
	authority  string // scheme://host[/path], no trailing slash
	tenant     string
	clientID   string
	clientFrom string // where clientID came from, for messages
	tokenFile  string
	tokenURL   string
	reason     string
	clock      Clock

	mu   sync.Mutex
	sent assertionClaims // of the last assertion read (no token)
	raw  string          // the last assertion, for redaction only
}

// assertionClaims are the parts of a projected token a person needs to
// match a federated credential; never the token itself.
type assertionClaims struct {
	Issuer, Subject string
	Audiences       []string
	Expiry          time.Time
}

// newWorkloadSource reads the webhook's variables; Options.Endpoint, when
// the host is forced, replaces AZURE_AUTHORITY_HOST. Options.ID may name
// the identity by client ID; other kinds cannot be exchanged for.
func newWorkloadSource(h hostEnv) (source, error) {
	s := &workloadSource{reason: h.reason, clock: h.opts.Clock}
	if s.clock == nil {
		s.clock = azhttp.RealClock{}
	}
	switch id := h.opts.ID; id.Kind() {
	case SystemAssigned:
		s.clientID, s.clientFrom = h.env(envClientID), envClientID
		if s.clientID == "" {
			return nil, fmt.Errorf("identity: workload identity needs %s (the client ID of the user-assigned identity the pod's service account names in azure.workload.identity/client-id), which is not set", envClientID)
		}
		if err := ClientID(s.clientID).Validate(); err != nil {
			return nil, fmt.Errorf("identity: %s: %v", envClientID, err)
		}
	case ClientIDKind:
		s.clientID, s.clientFrom = id.Value(), "Options.ID"
	default:
		return nil, fmt.Errorf("identity: workload identity exchanges the pod's token for one identity named by its client ID (%s or identity.ClientID); it cannot select an identity by %s", envClientID, id.Kind())
	}
	s.tenant = h.env(envTenantID)
	if s.tenant == "" {
		return nil, fmt.Errorf("identity: workload identity needs %s (the directory tenant ID), which is not set", envTenantID)
	}
	if !tenantRE.MatchString(s.tenant) {
		return nil, fmt.Errorf("identity: %s %q is neither a tenant GUID nor a domain name", envTenantID, sanitize(s.tenant, 80))
	}
	s.tokenFile = h.env(envFederatedTokenFile)
	if s.tokenFile == "" {
		return nil, fmt.Errorf("identity: workload identity needs %s (the path of the projected service-account token), which is not set", envFederatedTokenFile)
	}
	auth, from := h.opts.Endpoint, "Options.Endpoint"
	if auth == "" {
		auth, from = h.env(envAuthorityHost), envAuthorityHost
	}
	if auth == "" {
		auth, from = defaultAuthorityHost, "the public cloud's default"
	}
	a, err := normalizeEndpoint(auth)
	if err != nil {
		return nil, fmt.Errorf("identity: authority host %q (from %s) %v", sanitize(auth, 120), from, err)
	}
	if u, _ := url.Parse(a); u.Scheme != "https" && !isLoopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("identity: authority host %q (from %s) must use https: the request carries the pod's token (plain http is accepted only on loopback, for emulators)", a, from)
	}
	s.authority = a
	s.tokenURL = a + "/" + url.PathEscape(s.tenant) + "/oauth2/v2.0/token"
	return s, nil
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func (s *workloadSource) info() SourceInfo {
	return SourceInfo{Name: hostDisplayName[HostWorkload], Host: HostWorkload, Endpoint: s.tokenURL, Reason: s.reason}
}

func (s *workloadSource) hostNoun() string { return "pod" }

// supports: the zero ID means the identity in AZURE_CLIENT_ID; the
// constructor refuses the other kinds with its own message.
func (s *workloadSource) supports(k IDKind) bool { return k == SystemAssigned || k == ClientIDKind }

// retryPolicy: Entra's guidance is to retry 429 and 5xx, honouring
// Retry-After; every other 4xx is final.
func (s *workloadSource) retryPolicy() retryPolicy {
	p := serviceFabricRetryPolicy()
	p.maxRetries = 4
	return p
}

// tokenRequest reads the token file (on every attempt: the kubelet may have
// rotated it) and builds the form POST.
func (s *workloadSource) tokenRequest(ctx context.Context, resource string, _ ID) (*http.Request, error) {
	assertion, err := s.readAssertion()
	if err != nil {
		return nil, err
	}
	form := url.Values{
		"grant_type":            {grantClientCredentials},
		"client_id":             {s.clientID},
		"scope":                 {resource + "/.default"},
		"client_assertion_type": {assertionTypeJWTBearer},
		"client_assertion":      {assertion},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// readAssertion reads and checks the projected token. Errors say what is
// wrong with the file and never quote it.
func (s *workloadSource) readAssertion() (string, error) {
	f, err := os.Open(s.tokenFile)
	if err != nil {
		return "", s.fileError(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxAssertionFile+1))
	if err != nil {
		return "", s.fileError(err)
	}
	if len(b) > maxAssertionFile {
		return "", fmt.Errorf("the projected token file %s (%s) is larger than %d bytes; it should hold one service-account token", s.tokenFile, envFederatedTokenFile, maxAssertionFile)
	}
	// The kubelet writes no whitespace; a hand-written file may end with a
	// newline, which Entra would reject.
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "", fmt.Errorf("the projected token file %s (%s) is empty; the kubelet writes it when the pod starts: check the pod's azure-identity-token volume", s.tokenFile, envFederatedTokenFile)
	}
	raw := string(b)
	cl := claimsOfAssertion(raw)
	s.mu.Lock()
	s.sent, s.raw = cl, raw
	s.mu.Unlock()
	if now := s.clock.Now(); !cl.Expiry.IsZero() && !now.Before(cl.Expiry) {
		return "", fmt.Errorf("the projected token in %s (%s) expired at %s (now %s; the file was last written %s ago); the kubelet should have rotated it at 80%% of its lifetime: check that the pod's projected volume is still mounted and the node's kubelet is healthy",
			s.tokenFile, envFederatedTokenFile, cl.Expiry.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), s.fileAge(now))
	}
	return raw, nil
}

// fileAge is how long ago the file was last modified, for messages.
func (s *workloadSource) fileAge(now time.Time) string {
	fi, err := os.Stat(s.tokenFile)
	if err != nil {
		return "an unknown time"
	}
	return now.Sub(fi.ModTime()).Round(time.Second).String()
}

func (s *workloadSource) fileError(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the projected token file %s (%s) does not exist; the workload-identity webhook mounts it only in pods labelled azure.workload.identity/use: \"true\" whose service account is annotated with azure.workload.identity/client-id", s.tokenFile, envFederatedTokenFile)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("the projected token file %s (%s) cannot be read by this process (permission denied); run as the pod's user or set the pod's fsGroup so the file is readable", s.tokenFile, envFederatedTokenFile)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the path is already in the message
	}
	return fmt.Errorf("the projected token file %s (%s) cannot be read: %v", s.tokenFile, envFederatedTokenFile, err)
}

// claimsOfAssertion decodes, without verifying, the claims of a projected
// token; an undecodable token yields zero claims (Entra will say why).
func claimsOfAssertion(raw string) assertionClaims {
	c, err := ParseClaims(raw)
	if err != nil {
		return assertionClaims{}
	}
	out := assertionClaims{Issuer: c.Issuer, Expiry: c.ExpiresAt}
	out.Subject, _ = c.Raw["sub"].(string)
	switch aud := c.Raw["aud"].(type) {
	case string:
		out.Audiences = []string{aud}
	case []any:
		for _, a := range aud {
			if s, ok := a.(string); ok {
				out.Audiences = append(out.Audiences, s)
			}
		}
	}
	return out
}

// secrets: the assertion is a credential; redact it wherever an answer
// might echo it.
func (s *workloadSource) secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.raw == "" {
		return nil
	}
	return []string{s.raw}
}

// explain turns Entra's answer into what a person can act on, naming the
// AADSTS code Entra gave.
func (s *workloadSource) explain(e *AuthError) string {
	s.mu.Lock()
	cl := s.sent
	s.mu.Unlock()
	wire := e.wire()
	who := fmt.Sprintf("the identity with client ID %s (from %s) in tenant %s", s.clientID, s.clientFrom, s.tenant)
	switch aadsts(e.Description) {
	case "700024":
		exp := "unknown"
		if !cl.Expiry.IsZero() {
			exp = cl.Expiry.UTC().Format(time.RFC3339)
		}
		return fmt.Sprintf("Entra ID refused the projected token in %s as outside its validity time (expiry %s) (%s); the kubelet should have rotated the file: check the pod's projected volume and the node's clock", s.tokenFile, exp, wire)
	case "70021", "700211", "700212", "700213":
		return fmt.Sprintf("no federated identity credential on %s matches the pod's token (issuer %q, subject %q, audience %q) (%s); add a federated credential with exactly this issuer, subject and audience, or run the pod with the service account it names",
			who, cl.Issuer, cl.Subject, strings.Join(cl.Audiences, ","), wire)
	case "700016":
		return fmt.Sprintf("Entra ID does not know %s (%s); check %s: it must be the client ID (not the object ID) of a user-assigned identity in this tenant", who, wire, s.clientFrom)
	case "90002", "90023":
		return fmt.Sprintf("Entra ID at %s does not know tenant %q (%s); check %s and that %s names the cloud the tenant lives in", s.authority, s.tenant, wire, envTenantID, envAuthorityHost)
	case "700027", "50027":
		return fmt.Sprintf("Entra ID could not validate the projected token in %s (%s); the file must hold the token the cluster's OIDC issuer wrote, unmodified", s.tokenFile, wire)
	}
	if e.Attempts > 1 {
		return fmt.Sprintf("Entra ID at %s failed to issue a token for resource %q to %s on all %d attempts (%s); try again later, or give the credential a larger retry budget (Options.RetryBudget)", s.authority, e.Resource, who, e.Attempts, wire)
	}
	return fmt.Sprintf("Entra ID at %s refused a token for resource %q to %s (%s)", s.authority, e.Resource, who, wire)
}

// aadsts returns the number of the "AADSTSnnnn:" that starts Entra's
// error_description, or "".
func aadsts(desc string) string {
	rest, ok := strings.CutPrefix(strings.TrimSpace(desc), "AADSTS")
	if !ok {
		return ""
	}
	n := 0
	for n < len(rest) && n < 9 && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	return rest[:n]
}

// checkEcho: the token must be for the client ID exchanged for, also when
// it came from AZURE_CLIENT_ID (the shared identity check covers only an
// Options.ID). appid (v1) or azp (v2) is compared when present.
func (s *workloadSource) checkEcho(_ ID, r tokenResponse) error {
	c, err := ParseClaims(r.AccessToken)
	if err != nil {
		return nil // not a JWT: nothing to compare (an Options.ID is still checked by checkIdentity)
	}
	got := c.AppID
	if got == "" {
		got, _ = c.Raw["azp"].(string)
	}
	if got != "" && !strings.EqualFold(got, s.clientID) {
		return fmt.Errorf("identity: Entra ID at %s returned a token for a different identity: asked client ID %s (from %s), got %s", s.authority, s.clientID, s.clientFrom, sanitize(got, 80))
	}
	return nil
}
