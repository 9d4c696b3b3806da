package emulator

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Files under Options.StateDir holding the token-signing key, so tokens
// minted before a restart still verify afterwards.
const (
	signingKeyFile  = "signing-key.pem"
	signingCertFile = "signing-cert.pem"
)

// armAudiences are the audiences ARM accepts in the public cloud
// (protocols.md §12.6).
var armAudiences = []string{
	"https://management.core.windows.net/",
	"https://management.core.windows.net",
	"https://management.azure.com/",
	"https://management.azure.com",
}

// signingKey is the RSA key tokens are signed with, with a self-signed
// certificate so the JWKS can publish x5t/x5c like Entra ID does.
type signingKey struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
	kid  string // base64url SHA-1 thumbprint of cert, also used as x5t
}

// loadOrCreateSigningKey reads the key from dir, or generates one (and saves
// it when dir is not empty).
func loadOrCreateSigningKey(dir string) (*signingKey, error) {
	if dir != "" {
		k, err := readSigningKey(dir)
		if err == nil {
			return k, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("emulator: generating the token-signing key: %w", err)
	}
	serial, err := randSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "azmsi emulator token signing"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("emulator: signing certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("emulator: signing certificate: %w", err)
	}
	k := newSigningKey(key, cert)
	if dir != "" {
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, fmt.Errorf("emulator: signing key: %w", err)
		}
		if err := writePEM(filepath.Join(dir, signingKeyFile), "PRIVATE KEY", keyDER, 0o600); err != nil {
			return nil, err
		}
		if err := writePEM(filepath.Join(dir, signingCertFile), "CERTIFICATE", der, 0o644); err != nil {
			return nil, err
		}
	}
	return k, nil
}

func newSigningKey(key *rsa.PrivateKey, cert *x509.Certificate) *signingKey {
	sum := sha1.Sum(cert.Raw)
	return &signingKey{key: key, cert: cert, kid: base64.RawURLEncoding.EncodeToString(sum[:])}
}

func readSigningKey(dir string) (*signingKey, error) {
	keyDER, err := readPEM(filepath.Join(dir, signingKeyFile), "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	certDER, err := readPEM(filepath.Join(dir, signingCertFile), "CERTIFICATE")
	if err != nil {
		return nil, err
	}
	pk, err := x509.ParsePKCS8PrivateKey(keyDER)
	if err != nil {
		return nil, fmt.Errorf("emulator: %s: %w (delete it to generate a new key)", filepath.Join(dir, signingKeyFile), err)
	}
	key, ok := pk.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("emulator: %s is not an RSA key (delete it to generate a new key)", filepath.Join(dir, signingKeyFile))
	}
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, fmt.Errorf("emulator: %s: %w", filepath.Join(dir, signingCertFile), err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("emulator: %s does not match %s (delete both to generate a new key)", signingCertFile, signingKeyFile)
	}
	return newSigningKey(key, cert), nil
}

// mintedToken is a signed token and the times the IMDS response reports.
type mintedToken struct {
	raw               string
	issued, expiresAt time.Time
}

// mint signs a token for id and resource following the recipe of
// protocols.md §11.
func (s *Server) mint(cfg *Config, id *Identity, resource string) (mintedToken, error) {
	now := s.now().Truncate(time.Second)
	exp := now.Add(s.opts.TokenLifetime)
	iss := "https://sts.windows.net/" + cfg.TenantID + "/"
	uti := make([]byte, 16)
	if _, err := rand.Read(uti); err != nil {
		return mintedToken{}, err
	}
	mirid := id.ResourceID
	if id.Kind == KindSystem {
		// Real tokens carry the VM id with "resourcegroups" in lower case.
		mirid = lowerRGKeyword(mirid)
	}
	claims := jwt.MapClaims{
		"aud":       resource,
		"iss":       iss,
		"idp":       iss,
		"iat":       now.Unix(),
		"nbf":       now.Unix(),
		"exp":       exp.Unix(),
		"appid":     id.ClientID,
		"appidacr":  "2",
		"idtyp":     "app",
		"oid":       id.ObjectID,
		"sub":       id.ObjectID,
		"tid":       cfg.TenantID,
		"uti":       base64.RawURLEncoding.EncodeToString(uti),
		"ver":       "1.0",
		"xms_mirid": mirid,
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = s.keys.kid
	t.Header["x5t"] = s.keys.kid
	raw, err := t.SignedString(s.keys.key)
	if err != nil {
		return mintedToken{}, fmt.Errorf("emulator: signing token: %w", err)
	}
	s.stats.tokensMinted.Add(1)
	return mintedToken{raw: raw, issued: now, expiresAt: exp}, nil
}

// lowerRGKeyword rewrites the "/resourceGroups/" keyword of an ARM id in
// lower case, leaving names alone.
func lowerRGKeyword(id string) string {
	parts := strings.Split(id, "/")
	if len(parts) > 3 && strings.EqualFold(parts[3], "resourceGroups") {
		parts[3] = "resourcegroups"
	}
	return strings.Join(parts, "/")
}

// verifiedToken is a bearer token ARM accepted.
type verifiedToken struct {
	Identity *Identity // from the current config, matched by oid
	Claims   map[string]any
	Audience string
}

// tokenError is why ARM rejects a token; Code is ARM's error code.
type tokenError struct {
	Code, Message string
}

func (e *tokenError) Error() string { return e.Code + ": " + e.Message }

// ARM error codes for rejected tokens.
const (
	codeInvalidToken    = "InvalidAuthenticationToken"
	codeExpiredToken    = "ExpiredAuthenticationToken"
	codeInvalidAudience = "InvalidAuthenticationTokenAudience"
	codeInvalidTenant   = "InvalidAuthenticationTokenTenant"
)

// verifyToken checks a bearer token (without the "Bearer " prefix) the way
// ARM does: RS256 only, signed by our key, issued by our tenant, for an ARM
// audience, within its validity window, for a configured identity. The
// messages never contain the token.
func (s *Server) verifyToken(raw string) (*verifiedToken, *tokenError) {
	invalid := func(msg string) *tokenError {
		return &tokenError{Code: codeInvalidToken, Message: msg}
	}
	if raw == "" || strings.Count(raw, ".") != 2 {
		return nil, invalid("The access token is invalid: it is not a JWS compact serialization (header.payload.signature).")
	}
	claims, ok := s.verified.get(raw)
	if !ok {
		var terr *tokenError
		if claims, terr = s.verifySignature(raw); terr != nil {
			return nil, terr
		}
		s.verified.put(raw, claims)
	}
	cfg := s.config()
	iss, _ := claims["iss"].(string)
	wantIss := "https://sts.windows.net/" + cfg.TenantID + "/"
	if iss != wantIss {
		return nil, &tokenError{Code: codeInvalidTenant, Message: fmt.Sprintf("The access token is from the wrong issuer '%s'. It must match the tenant 'https://sts.windows.net/%s/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/%s' to get the token.", clip(iss), cfg.TenantID, cfg.TenantID)}
	}
	aud, _ := claims["aud"].(string)
	if !contains(armAudiences, aud) {
		return nil, &tokenError{Code: codeInvalidAudience, Message: fmt.Sprintf("The access token has been obtained for wrong audience or resource '%s'. It should exactly match with one of the allowed audiences '%s'.", clip(aud), strings.Join(armAudiences, "','"))}
	}
	now := s.now()
	exp, ok := numericClaim(claims, "exp")
	if !ok {
		return nil, invalid("The access token has no valid 'exp' claim.")
	}
	if !now.Before(exp) {
		return nil, &tokenError{Code: codeExpiredToken, Message: fmt.Sprintf("The access token expiry UTC time '%s' is earlier than current UTC time '%s'.", armTime(exp), armTime(now))}
	}
	if nbf, ok := numericClaim(claims, "nbf"); ok && now.Before(nbf) {
		return nil, invalid(fmt.Sprintf("The access token is not yet valid: not before UTC time '%s', current UTC time '%s'.", armTime(nbf), armTime(now)))
	} else if _, present := claims["nbf"]; present && !ok {
		return nil, invalid("The access token has an invalid 'nbf' claim.")
	}
	oid, _ := claims["oid"].(string)
	id := cfg.IdentityByObjectID(oid)
	if oid == "" || id == nil {
		return nil, invalid("The access token's principal (oid) is not known to this tenant.")
	}
	return &verifiedToken{Identity: id, Claims: claims, Audience: aud}, nil
}

func unverifiableReason(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "signing method"):
		return "only RS256 tokens are accepted."
	case strings.Contains(msg, "kid"):
		return "the signing key is not known."
	}
	return "unsupported token."
}

// numericClaim reads a NumericDate claim decoded with UseNumber.
func numericClaim(c jwt.MapClaims, name string) (time.Time, bool) {
	n, ok := c[name].(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f > 1e11 {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0), true
}

// armTime formats like ARM's error messages: "11/26/2025 11:12:13".
func armTime(t time.Time) string { return t.UTC().Format("01/02/2006 15:04:05") }

// clip bounds attacker-controlled text echoed in a message.
func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// tokenCache returns the same token for the same identity and resource
// until it is near expiry, as IMDS does (protocols.md §10).
type tokenCache struct {
	mu      sync.Mutex
	entries map[[2]string]mintedToken // {object id, resource}
}

// cacheReuseMargin: a cached token is handed out only while it has more
// than this left, so that clients treating "5 min before expiry" as expired
// get a fresh one.
const cacheReuseMargin = 5 * time.Minute

// maxCachedTokens bounds the cache; resources are caller-chosen strings.
const maxCachedTokens = 10000

func newTokenCache() *tokenCache { return &tokenCache{entries: map[[2]string]mintedToken{}} }

func (c *tokenCache) get(oid, resource string, now time.Time) (mintedToken, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.entries[[2]string{oid, resource}]
	if !ok || !now.Before(t.expiresAt.Add(-cacheReuseMargin)) || now.Before(t.issued) {
		return mintedToken{}, false
	}
	return t, true
}

func (c *tokenCache) put(oid, resource string, t mintedToken) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCachedTokens {
		clear(c.entries)
	}
	c.entries[[2]string{oid, resource}] = t
}

func (c *tokenCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}

// jwks is the JSON Web Key Set published at /_emulator/keys.
func (s *Server) jwks() map[string]any {
	pub := s.keys.key.PublicKey
	cfg := s.config()
	return map[string]any{"keys": []map[string]any{{
		"kty":    "RSA",
		"use":    "sig",
		"alg":    "RS256",
		"kid":    s.keys.kid,
		"x5t":    s.keys.kid,
		"n":      base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e":      base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		"x5c":    []string{base64.StdEncoding.EncodeToString(s.keys.cert.Raw)},
		"issuer": "https://sts.windows.net/" + cfg.TenantID + "/",
	}}}
}

func randSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("emulator: random serial: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	return writeFileAtomic(path, pemBytes(typ, der), mode)
}

func readPEM(path, typ string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(data)
	if b == nil || b.Type != typ {
		return nil, fmt.Errorf("emulator: %s holds no %s PEM block (delete it to regenerate)", path, typ)
	}
	return b.Bytes, nil
}

// verifySignature parses raw and checks its RS256 signature against the
// server's signing key; the claims are returned unvalidated.
func (s *Server) verifySignature(raw string) (jwt.MapClaims, *tokenError) {
	invalid := func(msg string) *tokenError {
		return &tokenError{Code: codeInvalidToken, Message: msg}
	}
	p := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation(), jwt.WithJSONNumber())
	claims := jwt.MapClaims{}
	_, err := p.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("the token header has no kid")
		}
		if kid != s.keys.kid {
			return nil, errors.New("the signing key (kid) is not known")
		}
		return &s.keys.key.PublicKey, nil
	})
	if err != nil {
		switch {
		case errors.Is(err, jwt.ErrTokenSignatureInvalid):
			return nil, invalid("The access token signature is invalid.")
		case errors.Is(err, jwt.ErrTokenUnverifiable):
			return nil, invalid("The access token could not be verified: " + unverifiableReason(err))
		default:
			return nil, invalid("The access token is invalid: it could not be parsed.")
		}
	}
	return claims, nil
}
