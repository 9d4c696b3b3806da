package identity

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// How to add a host (workload identity, a new Azure service…):
//
//  1. Add its name: a Host* constant and its display name in
//     hostDisplayName (detect.go), and, if it can be detected from the
//     environment, a case in detect (detect.go) and a place in Hosts().
//  2. Create source_<host>.go with the source's type, implementing the
//     source interface below, and its constructor
//     `func new<Host>Source(h hostEnv) (source, error)`: it reads the host's
//     settings through h (endpoint with Options.Endpoint overriding it,
//     secrets, other variables) and refuses bad ones with an error naming
//     the variable and what is expected. New does no I/O, so neither does
//     the constructor: files it needs (a projected token, a key) are read
//     by tokenRequest, on every attempt.
//  3. Register the constructor in sourceConstructors below (one line).
//  4. tokenRequest builds the whole request: any method, URL, headers and
//     body (IMDS sends a GET with a query, Cloud Shell a form POST; an
//     Entra token request would POST a form with the client assertion). It
//     is called again for every retry, so it builds a fresh body each time.
//     Use tokenQuery/newGet (request.go) for the usual GET.
//  5. Answer only what the host needs from the optional interfaces below:
//     secretHolder for every secret it sends, challenger for a second
//     round trip, echoChecker to require the selector echoed, clientTuner
//     for its own transport (a pinned certificate, a socket, a proxy: the
//     default client uses no proxy), instanceSource for instance metadata,
//     revoker when the host can replace a token it cached (revoke.go),
//     versionFallback when it tries a newer api-version first.
//  6. Everything else is shared, in fetch.go, and must not be duplicated:
//     the retry loop (with the source's retryPolicy, retry.go), reading and
//     capping bodies, parsing the token (parseTokenResponse accepts IMDS's,
//     App Service's and Entra's shapes), mapping errors to *AuthError and
//     ErrUnavailable, the identity check and redaction; the cache,
//     single-flight and proactive refresh are in cache.go.
//  7. Secrets go only in request headers or bodies; fetch.go never logs
//     either. Add the host to the canary tests (source_secrets_test.go).

// SourceInfo describes the endpoint a Credential talks to.
type SourceInfo struct {
	Name     string // "IMDS", "App Service", "Azure Arc", …
	Host     string // HostIMDS, HostAppService, … (see Hosts)
	Endpoint string // base URL, e.g. http://169.254.169.254
	Reason   string // why this source and endpoint were chosen
}

// source is one managed-identity protocol: it builds requests; fetch.go
// sends them.
type source interface {
	info() SourceInfo
	// hostNoun names the host in messages: "VM", "app", …
	hostNoun() string
	// supports reports whether the host can select identities of kind k.
	supports(k IDKind) bool
	// tokenRequest builds one attempt's request. It is called again for each
	// retry, so it must not consume one-shot state.
	tokenRequest(ctx context.Context, resource string, id ID) (*http.Request, error)
	retryPolicy() retryPolicy
}

// instanceSource is implemented by sources that also serve instance metadata.
type instanceSource interface {
	instanceRequest(ctx context.Context) (*http.Request, error)
}

// secretHolder is implemented by sources that send a secret (a header
// value, an Arc key, an assertion); redactSecrets removes them from any
// text taken from a response, in case an endpoint echoes them back. It may
// return a different list after each request (Arc's key changes).
type secretHolder interface {
	secrets() []string
}

// challenger is implemented by sources whose first answer is a challenge
// (Arc's 401). answer reads the challenge and returns the Authorization
// header value for the second request; it is a secret. fetch.go sends
// the second request (answerChallenge).
type challenger interface {
	answer(ex *exchange) (authorization string, err error)
}

// echoChecker is implemented by sources that must see the requested
// selector echoed in the token response.
type echoChecker interface {
	checkEcho(id ID, r tokenResponse) error
}

// clientTuner is implemented by sources that need their own transport.
// tune receives the credential's transport (own, or the caller's) and
// returns the client and transport to use instead.
type clientTuner interface {
	tune(base *http.Transport) (*http.Client, *http.Transport)
}

// revoker is implemented by hosts that replace a token they cached when
// asked to (revoke.go): revocationRequest is tokenRequest with xms_cc and,
// when known, the rejected token's hash. Hosts without it get a plain
// tokenRequest for a forced refresh.
type revoker interface {
	revocationRequest(ctx context.Context, resource string, id ID, rejectedSHA256 string) (*http.Request, error)
}

// versionFallback is implemented by sources that try a newer api-version
// first: fallBack looks at the final answer and, when the host refused the
// version, switches the source to the older one (from then on) and
// returns true; fetch.go then sends the request again.
type versionFallback interface {
	fallBack(ex *exchange, id ID) bool
}

// errorExplainer is implemented by sources whose error answers need their
// own message (Entra's AADSTS codes); explain returns the whole text of
// AuthError.Error, never a secret.
type errorExplainer interface {
	explain(e *AuthError) string
}

// sourceConstructors builds the source of each host from its settings.
var sourceConstructors = map[string]func(hostEnv) (source, error){
	HostIMDS:           newIMDSSource,
	HostAppService:     newAppServiceSource,
	HostContainerApps:  newAppServiceSource,
	HostAppService2017: newMSI2017Source,
	HostAzureML:        newMSI2017Source,
	HostCloudShell:     newCloudShellSource,
	HostArc:            newArcSource,
	HostServiceFabric:  newServiceFabricSource,
	HostWorkload:       newWorkloadSource,
}

// selectSource picks the managed-identity protocol (Options.Host, else
// detection: chooseHost) and builds its source.
func selectSource(o Options, getenv func(string) string) (source, error) {
	host, reason, err := chooseHost(o, getenv)
	if err != nil {
		return nil, err
	}
	build, ok := sourceConstructors[host]
	if !ok {
		return nil, fmt.Errorf("identity: unknown host %q; use one of %s", host, strings.Join(Hosts(), ", "))
	}
	return build(hostEnv{host: host, name: hostDisplayName[host], reason: reason, opts: o, getenv: getenv})
}

// hostEnv is what a source constructor reads its settings from.
type hostEnv struct {
	host   string // Host* constant
	name   string // display name, for messages
	reason string // why this host was chosen (SourceInfo.Reason)
	opts   Options
	getenv func(string) string
}

// env reads a variable, trimmed.
func (h hostEnv) env(name string) string { return strings.TrimSpace(h.getenv(name)) }

// endpoint resolves the host's token URL: Options.Endpoint (when
// Options.Host forced the host), else the variable envName, else fallback.
func (h hostEnv) endpoint(envName, fallback string) (string, error) {
	v, from := h.opts.Endpoint, "Options.Endpoint"
	if v == "" {
		v, from = h.env(envName), envName
	}
	if v == "" {
		v, from = fallback, "the default "+h.name+" address"
	}
	if v == "" {
		return "", fmt.Errorf("identity: %s needs %s (the token endpoint URL), which is not set", h.name, envName)
	}
	u, err := normalizeEndpoint(v)
	if err != nil {
		return "", fmt.Errorf("identity: %s endpoint %q (from %s) %v", h.name, v, from, err)
	}
	return u, nil
}

// secret reads a secret variable, sent verbatim (not trimmed) in a header.
func (h hostEnv) secret(envName string) (string, error) {
	v := h.getenv(envName)
	if strings.TrimSpace(v) == "" {
		return "", fmt.Errorf("identity: %s needs the secret %s, which is not set", h.name, envName)
	}
	if strings.ContainsAny(v, "\r\n\x00") {
		return "", fmt.Errorf("identity: %s holds a line break or NUL, which cannot be sent in a header", envName)
	}
	return v, nil
}

// normalizeEndpoint validates a base URL and drops a trailing slash.
func normalizeEndpoint(s string) (string, error) {
	if !strings.Contains(s, "://") {
		return "", errors.New("has no scheme: it must start with http:// or https://")
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "", errors.New("is not a URL")
	case !strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https"):
		return "", errors.New("must use http or https")
	case u.Host == "" || u.Hostname() == "":
		return "", errors.New("has no host")
	case u.User != nil:
		return "", errors.New("must not carry user info")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", errors.New("must not have a query or fragment")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	return strings.TrimRight(u.String(), "/"), nil
}

// supportedKinds lists the ID kinds src accepts, for messages.
func supportedKinds(src source) string {
	var out []string
	for _, k := range []IDKind{SystemAssigned, ClientIDKind, ObjectIDKind, ResourceIDKind} {
		if src.supports(k) {
			out = append(out, k.String())
		}
	}
	return strings.Join(out, ", ")
}
