package tokens

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/pemfile"
)

// Files under Options.StateDir holding the token-signing key, so tokens
// minted before a restart still verify afterwards.
const (
	SigningKeyFile  = "signing-key.pem"
	signingCertFile = "signing-cert.pem"
)

// SigningKey is the RSA key tokens are signed with, with a self-signed
// certificate so the JWKS can publish x5t/x5c like Entra ID does.
type SigningKey struct {
	ready chan struct{} // closed once the fields below are set
	key   *rsa.PrivateKey
	cert  *x509.Certificate
	kid   string // base64url SHA-1 thumbprint of cert, also used as x5t
	err   error  // generation failed (key is nil)
}

// LoadOrCreateKey reads the key from dir, or generates one (and saves it
// when dir is not empty). Without a directory the key is generated in the
// background: RSA-2048 generation takes ~50–150 ms, most of the emulator's
// start, and nothing needs the key before the first token is minted or
// verified, which waits for it (Wait).
func LoadOrCreateKey(dir string) (*SigningKey, error) {
	if dir == "" {
		k := &SigningKey{ready: make(chan struct{})}
		go func() { // ends by itself; Wait joins it
			defer close(k.ready)
			g, err := generateSigningKey()
			if err != nil {
				k.err = err
				return
			}
			k.key, k.cert, k.kid = g.key, g.cert, g.kid
		}()
		return k, nil
	}
	k, err := readSigningKey(dir)
	if err == nil {
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	k, err = generateSigningKey()
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(k.key)
	if err != nil {
		return nil, fmt.Errorf("emulator: signing key: %w", err)
	}
	if err := pemfile.Write(filepath.Join(dir, SigningKeyFile), "PRIVATE KEY", keyDER, 0o600); err != nil {
		return nil, err
	}
	if err := pemfile.Write(filepath.Join(dir, signingCertFile), "CERTIFICATE", k.cert.Raw, 0o644); err != nil {
		return nil, err
	}
	return k, nil
}

// Wait blocks until the key exists (it may be generated in the
// background) and reports whether generating it failed.
func (k *SigningKey) Wait() error {
	<-k.ready
	return k.err
}

// generateSigningKey makes a new key and its self-signed certificate.
func generateSigningKey() (*SigningKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("emulator: generating the token-signing key: %w", err)
	}
	serial, err := pemfile.Serial()
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
	return newSigningKey(key, cert), nil
}

// closedReady is the ready channel of keys that exist when made.
var closedReady = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func newSigningKey(key *rsa.PrivateKey, cert *x509.Certificate) *SigningKey {
	sum := sha1.Sum(cert.Raw)
	return &SigningKey{ready: closedReady, key: key, cert: cert, kid: base64.RawURLEncoding.EncodeToString(sum[:])}
}

func readSigningKey(dir string) (*SigningKey, error) {
	keyDER, err := pemfile.Read(filepath.Join(dir, SigningKeyFile), "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	certDER, err := pemfile.Read(filepath.Join(dir, signingCertFile), "CERTIFICATE")
	if err != nil {
		return nil, err
	}
	pk, err := x509.ParsePKCS8PrivateKey(keyDER)
	if err != nil {
		return nil, fmt.Errorf("emulator: %s: %w (delete it to generate a new key)", filepath.Join(dir, SigningKeyFile), err)
	}
	key, ok := pk.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("emulator: %s is not an RSA key (delete it to generate a new key)", filepath.Join(dir, SigningKeyFile))
	}
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, fmt.Errorf("emulator: %s: %w", filepath.Join(dir, signingCertFile), err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("emulator: %s does not match %s (delete both to generate a new key)", signingCertFile, SigningKeyFile)
	}
	return newSigningKey(key, cert), nil
}

// Private is the signing key (for tests that sign tokens by hand).
func (k *SigningKey) Private() *rsa.PrivateKey { _ = k.Wait(); return k.key }

// KID is the key id tokens carry in their header.
func (k *SigningKey) KID() string { _ = k.Wait(); return k.kid }
