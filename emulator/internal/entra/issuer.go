package entra

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenExchangeAudience is the audience of projected service-account tokens
// meant for Entra, and the audience federated credentials name.
const TokenExchangeAudience = "api://AzureADTokenExchange"

// DefaultLifetime is the projected token's lifetime when the service
// account sets none (the webhook's default expirationSeconds, 3600).
const DefaultLifetime = time.Hour

// Paths under the issuer URL (Kubernetes' service-account issuer discovery).
const (
	discoverySuffix = ".well-known/openid-configuration"
	jwksSuffix      = "openid/v1/jwks"
)

// ServiceAccount is the Kubernetes service account, and the pod using it,
// that a projected token speaks for.
type ServiceAccount struct {
	Namespace string
	Name      string
	UID       string
	PodName   string
	PodUID    string
}

// Subject is the token's sub claim: system:serviceaccount:NAMESPACE:NAME.
func (sa ServiceAccount) Subject() string {
	return "system:serviceaccount:" + sa.Namespace + ":" + sa.Name
}

// validate checks the parts Kubernetes requires to be DNS labels or
// subdomains; a colon would make the subject ambiguous.
func (sa ServiceAccount) validate() error {
	for _, f := range []struct{ what, v string }{{"namespace", sa.Namespace}, {"service account name", sa.Name}} {
		if f.v == "" {
			return fmt.Errorf("entra: the %s is empty; give a Kubernetes name such as \"default\"", f.what)
		}
		if strings.ContainsAny(f.v, ": /") {
			return fmt.Errorf("entra: the %s %q contains ':', '/' or a space; Kubernetes names are lower-case letters, digits, '-' and '.'", f.what, f.v)
		}
	}
	return nil
}

// Issuer is an emulated cluster OIDC issuer: an issuer URL, an RSA signing
// key of its own, the discovery document and JWKS at the places Kubernetes
// serves them, and the minting of projected service-account tokens.
type Issuer struct {
	url   string // ends with "/", as AKS issuer URLs do
	path  string // the URL's path, ending with "/"
	key   *rsa.PrivateKey
	kid   string
	clock Clock
}

// NewIssuer creates an issuer at issuerURL (absolute http or https URL
// without query or fragment; a trailing "/" is added when missing, the form
// AKS issuer URLs take) with a fresh 2048-bit key. clock nil means the wall
// clock.
func NewIssuer(issuerURL string, clock Clock) (*Issuer, error) {
	u, err := url.Parse(issuerURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("entra: issuer URL %q must be an absolute http(s) URL without user, query or fragment, e.g. https://127.0.0.1:8443/oidc/", issuerURL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("entra: generating the issuer key: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("entra: issuer key: %w", err)
	}
	sum := sha256.Sum256(der) // Kubernetes derives its key ids the same way
	return &Issuer{
		url:   u.String(),
		path:  u.Path,
		key:   key,
		kid:   base64.RawURLEncoding.EncodeToString(sum[:]),
		clock: orWall(clock),
	}, nil
}

// URL is the issuer URL, the iss claim of every token it mints.
func (i *Issuer) URL() string { return i.url }

// KeyID is the kid of the issuer's only key.
func (i *Issuer) KeyID() string { return i.kid }

// PublicKey returns the issuer's verification key when issuer is this
// issuer's URL and kid its key id. It has the KeyLookup signature, so an
// Endpoint can verify assertions without fetching the JWKS.
func (i *Issuer) PublicKey(issuer, kid string) (crypto.PublicKey, error) {
	if issuer != i.url {
		return nil, fmt.Errorf("%w: %q is not the emulated issuer %q", ErrUnknownIssuer, issuer, i.url)
	}
	if kid != i.kid {
		return nil, fmt.Errorf("%w: key %q is not in the JWKS of %q", ErrUnknownKey, kid, i.url)
	}
	return &i.key.PublicKey, nil
}

// Errors a KeyLookup wraps.
var (
	ErrUnknownIssuer = errors.New("entra: unknown issuer")
	ErrUnknownKey    = errors.New("entra: unknown key id")
)

// MintOptions shape one projected token.
type MintOptions struct {
	// Audience replaces TokenExchangeAudience (the wrong-audience fault).
	Audience string
	// Lifetime is exp - iat; zero means DefaultLifetime.
	Lifetime time.Duration
	// IssuedAt is iat and nbf; zero means now.
	IssuedAt time.Time
}

// Mint signs a projected service-account token for sa and returns it with
// its expiry.
func (i *Issuer) Mint(sa ServiceAccount, o MintOptions) (string, time.Time, error) {
	if err := sa.validate(); err != nil {
		return "", time.Time{}, err
	}
	aud := o.Audience
	if aud == "" {
		aud = TokenExchangeAudience
	}
	life := o.Lifetime
	if life <= 0 {
		life = DefaultLifetime
	}
	iat := o.IssuedAt
	if iat.IsZero() {
		iat = i.clock.Now()
	}
	iat = iat.Truncate(time.Second)
	exp := iat.Add(life)
	claims := jwt.MapClaims{
		"iss": i.url,
		"sub": sa.Subject(),
		"aud": []string{aud},
		"iat": iat.Unix(),
		"nbf": iat.Unix(),
		"exp": exp.Unix(),
		// Sub-fields as Kubernetes writes them (unverified in an Azure
		// source: protocols-2026.md U19-1).
		"kubernetes.io": map[string]any{
			"namespace":      sa.Namespace,
			"pod":            map[string]string{"name": sa.PodName, "uid": sa.PodUID},
			"serviceaccount": map[string]string{"name": sa.Name, "uid": sa.UID},
		},
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = i.kid
	raw, err := t.SignedString(i.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("entra: signing the projected token: %w", err)
	}
	return raw, exp, nil
}

// DiscoveryURL and JWKSURL are where the issuer's documents are served.
func (i *Issuer) DiscoveryURL() string { return i.url + discoverySuffix }
func (i *Issuer) JWKSURL() string      { return i.url + jwksSuffix }

// Handler serves the discovery document and the JWKS at their paths under
// the issuer URL's path, and 404 for anything else. Entra fetches these in
// Azure; the emulated endpoint does not, but tools that inspect an issuer
// (and people) do.
func (i *Issuer) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "only GET is served here", http.StatusMethodNotAllowed)
			return
		}
		switch r.URL.Path {
		case i.path + discoverySuffix:
			writeJSON(w, http.StatusOK, map[string]any{
				"issuer":                                i.url,
				"jwks_uri":                              i.JWKSURL(),
				"response_types_supported":              []string{"id_token"},
				"subject_types_supported":               []string{"public"},
				"id_token_signing_alg_values_supported": []string{"RS256"},
			})
		case i.path + jwksSuffix:
			writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
				"use": "sig",
				"kty": "RSA",
				"kid": i.kid,
				"alg": "RS256",
				"n":   base64.RawURLEncoding.EncodeToString(i.key.N.Bytes()),
				"e":   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(i.key.E)).Bytes()),
			}}})
		default:
			http.NotFound(w, r)
		}
	})
}
