package keyvaultclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// APIVersion is the data-plane version the client sends (the newest
// stable one, as Go azsecrets v1.5.1).
const APIVersion = "2026-04-01"

// MaxValueBytes is Key Vault's value limit (Learn: 25k bytes; 25,600 is
// the figure other tools use, unverified).
const MaxValueBytes = 25600

// TokenFunc returns an access token for resource.
type TokenFunc func(ctx context.Context, resource string) (string, error)

// Options configures a Client. Token is required.
type Options struct {
	Token TokenFunc
	// HTTPClient carries the requests; nil → a client with a 30 s timeout
	// and the environment's proxy (never for .localhost).
	HTTPClient *http.Client
	// Getenv reads $AZMSI_KEYVAULT_DNS_SUFFIX; nil → os.Getenv.
	Getenv func(string) string
	// Logger gets one debug line per request (method, URL, status,
	// duration; never a header or a body); nil → discard.
	Logger    *slog.Logger
	UserAgent string
}

// Client talks to Key Vault's secrets data plane.
type Client struct {
	token  TokenFunc
	http   *http.Client
	suffix string
	log    *slog.Logger
	ua     string
}

// New returns a Client.
func New(o Options) (*Client, error) {
	if o.Token == nil {
		return nil, errors.New("keyvaultclient: Options.Token is required")
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	c := &Client{token: o.Token, http: withLocalhostDialing(o.HTTPClient), suffix: strings.TrimSpace(getenv(SuffixEnv)), log: o.Logger, ua: o.UserAgent}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.ua == "" {
		c.ua = "azmsi-keyvaultclient"
	}
	return c, nil
}

// Suffix is the DNS suffix vault names are completed with.
func (c *Client) Suffix() string {
	if c.suffix == "" {
		return PublicSuffix
	}
	return c.suffix
}

// VaultURL resolves a vault name or URL to the vault's base URL.
func (c *Client) VaultURL(vault string) (string, error) {
	u, err := vaultURL(vault, c.suffix)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// Attributes are a secret's management attributes (Unix seconds).
type Attributes struct {
	Enabled       *bool  `json:"enabled,omitempty"`
	NotBefore     *int64 `json:"nbf,omitempty"`
	Expires       *int64 `json:"exp,omitempty"`
	Created       *int64 `json:"created,omitempty"`
	Updated       *int64 `json:"updated,omitempty"`
	RecoveryLevel string `json:"recoveryLevel,omitempty"`
}

// Secret is one version of a secret, with its value. Its String form
// leaves the value out.
type Secret struct {
	Value       string            `json:"value"`
	ID          string            `json:"id"`
	ContentType string            `json:"contentType,omitempty"`
	Attributes  Attributes        `json:"attributes"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// String names the secret without its value.
func (s Secret) String() string { return "secret " + s.ID }

// GoString likewise, so %#v reveals nothing.
func (s Secret) GoString() string { return s.String() }

// Name and Version parse the id (…/secrets/{name}/{version}).
func (s Secret) Name() string    { n, _ := parseID(s.ID); return n }
func (s Secret) Version() string { _, v := parseID(s.ID); return v }

// Item is a secret in a list: no value; the id has no version.
type Item struct {
	ID          string            `json:"id"`
	ContentType string            `json:"contentType,omitempty"`
	Attributes  Attributes        `json:"attributes"`
	Tags        map[string]string `json:"tags,omitempty"`
	Managed     bool              `json:"managed,omitempty"`
}

// Name parses the item's id.
func (i Item) Name() string { n, _ := parseID(i.ID); return n }

func parseID(id string) (name, version string) {
	u, err := url.Parse(id)
	if err != nil {
		return "", ""
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) >= 2 {
		name = parts[1]
	}
	if len(parts) >= 3 {
		version = parts[2]
	}
	return name, version
}

// GetSecret reads a secret's value: the latest version when version is "".
func (c *Client) GetSecret(ctx context.Context, vault, name, version string) (Secret, error) {
	base, err := vaultURL(vault, c.suffix)
	if err != nil {
		return Secret{}, err
	}
	if !secretName(name) {
		return Secret{}, fmt.Errorf("%q is not a secret name: 1-127 letters, digits and '-'", clip(name))
	}
	if version != "" && !hex32(version) {
		return Secret{}, fmt.Errorf("%q is not a secret version: 32 hexadecimal characters", clip(version))
	}
	op := "getting secret " + name + " from " + base.Host
	u := *base
	u.Path = "/secrets/" + name + "/" + version
	var s Secret
	if err := c.do(ctx, op, http.MethodGet, &u, nil, &s); err != nil {
		return Secret{}, err
	}
	return s, nil
}

// SetSecret stores a new version of a secret and returns it (with value).
func (c *Client) SetSecret(ctx context.Context, vault, name, value, contentType string) (Secret, error) {
	base, err := vaultURL(vault, c.suffix)
	if err != nil {
		return Secret{}, err
	}
	if !secretName(name) {
		return Secret{}, fmt.Errorf("%q is not a secret name: 1-127 letters, digits and '-'", clip(name))
	}
	if len(value) > MaxValueBytes {
		return Secret{}, fmt.Errorf("the value is %d bytes; Key Vault accepts at most %d", len(value), MaxValueBytes)
	}
	body := map[string]any{"value": value}
	if contentType != "" {
		body["contentType"] = contentType
	}
	b, err := json.Marshal(body)
	if err != nil {
		return Secret{}, fmt.Errorf("encoding the secret: the value is not valid text")
	}
	op := "setting secret " + name + " in " + base.Host
	u := *base
	u.Path = "/secrets/" + name
	var s Secret
	if err := c.do(ctx, op, http.MethodPut, &u, b, &s); err != nil {
		return Secret{}, err
	}
	return s, nil
}

// ListSecrets lists a vault's secrets (no values), following nextLink
// only on the vault's own host. At most maxPages pages are read.
func (c *Client) ListSecrets(ctx context.Context, vault string) ([]Item, error) {
	base, err := vaultURL(vault, c.suffix)
	if err != nil {
		return nil, err
	}
	op := "listing secrets of " + base.Host
	u := *base
	u.Path = "/secrets"
	items := []Item{}
	const maxPages = 10000
	for page := 0; ; page++ {
		if page == maxPages {
			return nil, fmt.Errorf("%s: more than %d pages; giving up", op, maxPages)
		}
		var p struct {
			Value    []Item  `json:"value"`
			NextLink *string `json:"nextLink"`
		}
		if err := c.do(ctx, op, http.MethodGet, &u, nil, &p); err != nil {
			return nil, err
		}
		items = append(items, p.Value...)
		if p.NextLink == nil || *p.NextLink == "" {
			return items, nil
		}
		next, err := url.Parse(*p.NextLink)
		if err != nil {
			return nil, fmt.Errorf("%s: the vault's nextLink is not a URL", op)
		}
		if next.Scheme != "https" || !strings.EqualFold(next.Host, base.Host) && !strings.EqualFold(next.Host, base.Host+":443") {
			return nil, fmt.Errorf("%s: the vault's nextLink points at another host (%q); refusing to send the token there", op, clip(next.Scheme+"://"+next.Host))
		}
		u = *next
	}
}

func hex32(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// do sends one request with the vault token and decodes a 200 into out.
// u already has the path; api-version is added unless u carries one (a
// nextLink is followed as given).
func (c *Client) do(ctx context.Context, op, method string, u *url.URL, body []byte, out any) error {
	if !AllowedHost(u.Host, c.suffix) {
		return fmt.Errorf("%s: %q is not a Key Vault host; the token is not sent", op, clip(u.Host))
	}
	if u.Query().Get("api-version") == "" {
		q := u.Query()
		q.Set("api-version", APIVersion)
		u.RawQuery = q.Encode()
	}
	tok, err := c.token(ctx, Resource)
	if err != nil {
		return fmt.Errorf("%s: getting a token for %s: %w", op, Resource, err)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, redactURLError(err))
	}
	defer resp.Body.Close()
	b, rerr := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	c.log.Debug("keyvault request", "method", method, "url", u.Scheme+"://"+u.Host+u.Path, "status", resp.StatusCode, "duration", time.Since(start))
	if rerr != nil {
		return fmt.Errorf("%s: reading the answer: %w", op, rerr)
	}
	if resp.StatusCode != http.StatusOK {
		return parseError(op, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		// Decoder text could quote the body, which may hold the value.
		return fmt.Errorf("%s: the answer is not the JSON Key Vault sends", op)
	}
	return nil
}

// redactURLError drops the query from a *url.Error (the URL is ours and
// holds no secret, but the message stays short).
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery = ""
			return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
		}
	}
	return err
}
