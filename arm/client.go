package arm

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/azmsi/azmsi/internal/azhttp"
)

// EnvEndpoint names the environment variable that overrides the ARM endpoint
// (the emulator sets it).
const EnvEndpoint = "AZMSI_ARM_ENDPOINT"

// Options configures a Client. Only Credential is required.
type Options struct {
	// Credential supplies bearer tokens. Required.
	Credential TokenCredential

	// Cloud selects the ARM endpoint and, always, the token audience.
	// Zero value: AzurePublicCloud.
	Cloud Cloud

	// Endpoint is the ARM base URL. Precedence: this field, else
	// $AZMSI_ARM_ENDPOINT (read through Getenv), else Cloud.Endpoint.
	// Overriding it does not change the token audience, which follows Cloud.
	Endpoint string

	// HTTPClient sends requests. nil: a client with the default transport
	// that never follows redirects (a redirect would carry the token along).
	HTTPClient *http.Client

	// AllowInsecureLoopback permits http:// endpoints, but only to a loopback
	// address (127.0.0.0/8, ::1, localhost). Meant for tests and the emulator.
	AllowInsecureLoopback bool

	// MaxRetries is the number of retries after the first attempt.
	// 0: default 4. Negative: no retries.
	MaxRetries int
	// RetryBaseDelay and RetryMaxDelay shape the exponential back-off with
	// full jitter. Defaults 800ms and 60s.
	RetryBaseDelay, RetryMaxDelay time.Duration
	// MaxRetryAfter caps a server-supplied Retry-After. Default 5 minutes.
	MaxRetryAfter time.Duration
	// PollInterval is the wait between LRO polls when the server sends no
	// Retry-After. Default 5s.
	PollInterval time.Duration

	// Clock times retry and poll waits, Retry-After dates and the durations
	// in the debug log. nil: the wall clock. Tests inject a fake so that
	// nothing sleeps.
	Clock Clock

	// Logger receives one debug record per HTTP attempt. nil: discard.
	// Tokens never appear in its output.
	Logger *slog.Logger
	// UserAgent is appended after "azmsi/<version>".
	UserAgent string
	// Getenv reads the environment. nil: os.Getenv.
	Getenv func(string) string
	// MaxConcurrency bounds ResourceGroupsAcross and ResourcesAcross. Default 8.
	MaxConcurrency int
}

// Clock is the time seam: Now and After behave as time.Now and time.After.
// It is the same interface as identity.Clock, so one fake drives both.
type Clock = azhttp.Clock

// Client talks to ARM. It is safe for concurrent use.
type Client struct {
	cred       TokenCredential
	cloud      Cloud
	base       *url.URL // scheme, host and optional path prefix; no query
	armHost    string   // the cloud's own ARM host, rewritten to base when overridden
	http       *http.Client
	insecureOK bool

	maxRetries                        int
	baseDelay, maxDelay, maxRetryAfer time.Duration
	pollInterval                      time.Duration
	clock                             Clock
	log                               *slog.Logger
	userAgent                         string
	maxConc                           int
}

const (
	defaultMaxRetries     = 4
	defaultBaseDelay      = 800 * time.Millisecond
	defaultMaxDelay       = 60 * time.Second
	defaultMaxRetryAfter  = 5 * time.Minute
	defaultPollInterval   = 5 * time.Second
	defaultMaxConcurrency = 8
)

// New validates o and returns a Client. It does no network I/O.
func New(o Options) (*Client, error) {
	if o.Credential == nil {
		return nil, errors.New("arm: Options.Credential is required (use arm.FromIdentity to wrap a managed-identity credential)")
	}
	cloud := o.Cloud
	if cloud == (Cloud{}) {
		cloud = AzurePublicCloud
	}
	if cloud.Audience == "" {
		return nil, fmt.Errorf("arm: cloud %q has no token audience", cloud.Name)
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	endpoint, from := o.Endpoint, "Options.Endpoint"
	if endpoint == "" {
		endpoint, from = strings.TrimSpace(getenv(EnvEndpoint)), "$"+EnvEndpoint
	}
	if endpoint == "" {
		endpoint, from = cloud.Endpoint, "cloud "+cloud.Name
	}
	base, err := parseEndpoint(endpoint, o.AllowInsecureLoopback)
	if err != nil {
		return nil, fmt.Errorf("%w (endpoint from %s)", err, from)
	}
	c := &Client{
		cred:         o.Credential,
		cloud:        cloud,
		base:         base,
		http:         o.HTTPClient,
		insecureOK:   o.AllowInsecureLoopback,
		maxRetries:   o.MaxRetries,
		baseDelay:    o.RetryBaseDelay,
		maxDelay:     o.RetryMaxDelay,
		maxRetryAfer: o.MaxRetryAfter,
		pollInterval: o.PollInterval,
		clock:        o.Clock,
		log:          o.Logger,
		userAgent:    azhttp.UserAgent(),
		maxConc:      o.MaxConcurrency,
	}
	if u, err := url.Parse(cloud.Endpoint); err == nil {
		c.armHost = strings.ToLower(u.Host)
	}
	if ua := strings.TrimSpace(o.UserAgent); ua != "" {
		c.userAgent += " " + ua
	}
	if c.http == nil {
		c.http = &http.Client{Transport: sharedTransport(), CheckRedirect: noRedirects}
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = defaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.baseDelay <= 0 {
		c.baseDelay = defaultBaseDelay
	}
	if c.maxDelay <= 0 {
		c.maxDelay = defaultMaxDelay
	}
	if c.maxRetryAfer <= 0 {
		c.maxRetryAfer = defaultMaxRetryAfter
	}
	if c.pollInterval <= 0 {
		c.pollInterval = defaultPollInterval
	}
	if c.clock == nil {
		c.clock = azhttp.RealClock{}
	}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.maxConc <= 0 {
		c.maxConc = defaultMaxConcurrency
	}
	return c, nil
}

// Endpoint returns the ARM base URL in use.
func (c *Client) Endpoint() string { return c.base.String() }

// Cloud returns the cloud whose audience tokens are requested for.
func (c *Client) Cloud() Cloud { return c.cloud }

// defaultIdlePerHost is the idle connections the default transport keeps
// per host. http.DefaultTransport keeps 2, so each ResourceGroupsAcross
// burst of 8 concurrent pages would open (and TLS-handshake) 6 new
// connections and drop them again; it must be at least the fan-out.
const defaultIdlePerHost = 4 * defaultMaxConcurrency

// sharedTransport is the transport of every Client built without
// Options.HTTPClient: http.DefaultTransport's settings (proxy from the
// environment, timeouts) with defaultIdlePerHost idle connections per host.
// One transport for all such clients, so that clients need no Close.
var sharedTransport = sync.OnceValue(newSharedTransport)

func newSharedTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = defaultIdlePerHost
	if t.MaxIdleConns < defaultIdlePerHost {
		t.MaxIdleConns = defaultIdlePerHost
	}
	return t
}

// noRedirects keeps a redirect from carrying the token along: the 3xx is
// the answer.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// parseEndpoint checks that a bearer token may be sent to endpoint.
func parseEndpoint(endpoint string, insecureLoopback bool) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(endpoint))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("arm: ARM endpoint %q is not an absolute http(s) URL such as https://management.azure.com", endpoint)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("arm: ARM endpoint %q must not contain user info, a query or a fragment", u.Redacted())
	}
	if err := checkScheme(u, insecureLoopback); err != nil {
		return nil, err
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// checkScheme enforces "bearer tokens only over HTTPS, or HTTP to loopback
// when explicitly allowed".
func checkScheme(u *url.URL, insecureLoopback bool) error {
	if strings.EqualFold(u.Scheme, "https") {
		return nil
	}
	if !insecureLoopback {
		return fmt.Errorf("arm: refusing to send a bearer token over plain HTTP to %s: use an https:// endpoint (http:// is allowed only to a loopback address with Options.AllowInsecureLoopback)", u.Host)
	}
	if !isLoopbackHost(u.Hostname()) {
		return fmt.Errorf("arm: refusing to send a bearer token over plain HTTP to %s: AllowInsecureLoopback permits http:// only to a loopback address (127.0.0.0/8, ::1, localhost)", u.Host)
	}
	return nil
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// endpointURL builds the URL of the path segs on the endpoint, each segment
// escaped on its own, with query q (may be nil) and apiVersion: built from
// parts, never from text, so a name can neither add a segment nor a query.
func (c *Client) endpointURL(apiVersion string, q url.Values, segs ...string) *url.URL {
	u := *c.base
	var path, raw strings.Builder
	path.WriteString(c.base.Path)
	raw.WriteString(c.base.EscapedPath())
	for _, s := range segs {
		path.WriteString("/" + s)
		raw.WriteString("/" + url.PathEscape(s))
	}
	u.Path, u.RawPath = path.String(), raw.String()
	v := url.Values{}
	for k, vs := range q {
		v[k] = vs
	}
	v.Set("api-version", apiVersion)
	u.RawQuery = v.Encode()
	return &u
}

// resolve turns a caller's path (relative "/subscriptions/…", or an absolute
// URL on the ARM host) into a request URL on the configured endpoint.
func (c *Client) resolve(path string) (*url.URL, error) {
	path = strings.TrimSpace(path)
	if path == "" {
		return nil, errors.New("arm: empty request path; expected e.g. /subscriptions or an https:// URL on the ARM endpoint")
	}
	if hasScheme(path) {
		return c.sameOrigin(path, "URL")
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	ref, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("arm: request path %q is not a valid URL path: %v", path, err)
	}
	if ref.Host != "" { // "//host/..." would change host
		return nil, fmt.Errorf("arm: request path %q names a host; give a path such as /subscriptions or a full URL on %s", path, c.base.Host)
	}
	u := *c.base
	u.Path = c.base.Path + ref.Path
	if ref.RawPath != "" {
		u.RawPath = c.base.EscapedPath() + ref.RawPath
	}
	u.RawQuery = ref.RawQuery
	return &u, nil
}

func hasScheme(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")
}

// sameOrigin parses an absolute URL from the caller or from ARM itself
// (nextLink, Location, Azure-AsyncOperation) and makes sure the token goes
// only to the configured endpoint. Real ARM links name the cloud's ARM host
// (management.azure.com); when the endpoint is overridden those are rewritten
// to it. Anything else is refused.
func (c *Client) sameOrigin(raw, what string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("arm: %s %q is not an absolute URL", what, azhttp.Clip(raw, 200))
	}
	if u.User != nil {
		return nil, fmt.Errorf("arm: %s %q carries user info; refusing to follow it", what, u.Redacted())
	}
	host := strings.ToLower(u.Host)
	scheme := strings.ToLower(u.Scheme)
	switch {
	case host == strings.ToLower(c.base.Host) && scheme == c.base.Scheme:
	case c.armHost != "" && (host == c.armHost || host == c.armHost+":443") && scheme == "https":
		u.Scheme, u.Host = c.base.Scheme, c.base.Host
		if c.base.Path != "" && !strings.HasPrefix(u.Path, c.base.Path+"/") {
			u.Path = c.base.Path + u.Path
			u.RawPath = ""
		}
	default:
		return nil, fmt.Errorf("arm: %s points at %s://%s, not at the ARM endpoint %s://%s; refusing to send the token there", what, u.Scheme, u.Host, c.base.Scheme, c.base.Host)
	}
	if err := checkScheme(u, c.insecureOK); err != nil {
		return nil, err
	}
	u.Fragment = ""
	return u, nil
}
