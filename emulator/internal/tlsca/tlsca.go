// Package tlsca makes the emulator's certificates: a local CA (kept under
// the state directory so clients trust it once) and the ARM listener's
// leaf for the loopback names, or the user's own certificate; and the
// self-signed certificate a Service Fabric host is pinned to by thumbprint.
package tlsca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/pemfile"
)

// Files under StateDir (or the server's temp dir) holding the local CA. The
// CA survives restarts so that a client trusts it once.
const (
	caCertFile = "ca.pem"
	caKeyFile  = "ca-key.pem"
)

// Material is the ARM listener's certificate and the PEM clients trust.
type Material struct {
	CAPEM  []byte // the CA (or the user's certificate chain)
	CAPath string // set by WriteCAFile
	Leaf   tls.Certificate
	userCA bool // caPEM came from TLSCertFile: don't write ca-key.pem
	caKey  *ecdsa.PrivateKey
	caCert *x509.Certificate
}

// Options says which certificate to serve.
type Options struct {
	StateDir                string   // where the CA lives; "" keeps it in memory
	ExtraHostnames          []string // leaf names besides 127.0.0.1, ::1 and localhost
	TLSCertFile, TLSKeyFile string   // the user's certificate instead of ours
}

// New loads or creates the CA and issues the leaf, or loads the user's
// certificate.
func New(o Options) (*Material, error) {
	if o.TLSCertFile != "" {
		leaf, err := tls.LoadX509KeyPair(o.TLSCertFile, o.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("emulator: TLSCertFile/TLSKeyFile: %w", err)
		}
		pemData, err := os.ReadFile(o.TLSCertFile)
		if err != nil {
			return nil, fmt.Errorf("emulator: TLSCertFile: %w", err)
		}
		return &Material{CAPEM: pemData, Leaf: leaf, userCA: true}, nil
	}
	m := &Material{}
	if o.StateDir != "" {
		if err := m.loadCA(o.StateDir); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	if m.caKey == nil {
		if err := m.newCA(); err != nil {
			return nil, err
		}
	}
	if err := m.issueLeaf(o.ExtraHostnames); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Material) loadCA(dir string) error {
	certDER, err := pemfile.Read(filepath.Join(dir, caCertFile), "CERTIFICATE")
	if err != nil {
		return err
	}
	keyDER, err := pemfile.Read(filepath.Join(dir, caKeyFile), "PRIVATE KEY")
	if err != nil {
		return err
	}
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return fmt.Errorf("emulator: %s: %w (delete %s and %s to create a new CA)", caCertFile, err, caCertFile, caKeyFile)
	}
	pk, err := x509.ParsePKCS8PrivateKey(keyDER)
	if err != nil {
		return fmt.Errorf("emulator: %s: %w (delete %s and %s to create a new CA)", caKeyFile, err, caCertFile, caKeyFile)
	}
	key, ok := pk.(*ecdsa.PrivateKey)
	if !ok || !key.PublicKey.Equal(cert.PublicKey) {
		return fmt.Errorf("emulator: %s does not belong to %s (delete both to create a new CA)", caKeyFile, caCertFile)
	}
	if time.Now().After(cert.NotAfter.Add(-24 * time.Hour)) {
		return os.ErrNotExist // expired: make a new one
	}
	m.caKey, m.caCert = key, cert
	m.CAPEM = pemfile.Encode("CERTIFICATE", certDER)
	return nil
}

func (m *Material) newCA() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("emulator: CA key: %w", err)
	}
	serial, err := pemfile.Serial()
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "azmsi emulator local CA", Organization: []string{"azmsi"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(5, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("emulator: CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("emulator: CA certificate: %w", err)
	}
	m.caKey, m.caCert = key, cert
	m.CAPEM = pemfile.Encode("CERTIFICATE", der)
	return nil
}

// issueLeaf makes the ARM server certificate, valid for the loopback names
// plus extra host names (IPs or DNS names).
func (m *Material) issueLeaf(extra []string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("emulator: TLS key: %w", err)
	}
	serial, err := pemfile.Serial()
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "azmsi emulator"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, h := range extra {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, m.caCert, &key.PublicKey, m.caKey)
	if err != nil {
		return fmt.Errorf("emulator: TLS certificate: %w", err)
	}
	m.Leaf = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return nil
}

// WriteCAFile stores the CA certificate (and, for our own CA, its key with
// mode 0600) in dir, so clients can point SSL_CERT_FILE at it.
func (m *Material) WriteCAFile(dir string) error {
	path := filepath.Join(dir, caCertFile)
	if m.userCA {
		path = filepath.Join(dir, "tls-cert.pem")
	}
	if err := pemfile.WriteAtomic(path, m.CAPEM, 0o644); err != nil {
		return err
	}
	if !m.userCA {
		keyDER, err := x509.MarshalPKCS8PrivateKey(m.caKey)
		if err != nil {
			return fmt.Errorf("emulator: CA key: %w", err)
		}
		if err := pemfile.Write(filepath.Join(dir, caKeyFile), "PRIVATE KEY", keyDER, 0o600); err != nil {
			return err
		}
	}
	m.CAPath = path
	return nil
}

// SelfSigned makes a fresh self-signed ECDSA leaf for 127.0.0.1, ::1 and
// localhost named cn, trusted by clients only through its thumbprint
// (uppercase hex SHA-1 of the DER, as IDENTITY_SERVER_THUMBPRINT carries
// it).
func SelfSigned(cn string) (*tls.Config, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, "", fmt.Errorf("emulator: %s key: %w", cn, err)
	}
	serial, err := pemfile.Serial()
	if err != nil {
		return nil, "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, "", fmt.Errorf("emulator: %s certificate: %w", cn, err)
	}
	sum := sha1.Sum(der)
	tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	return tc, strings.ToUpper(hex.EncodeToString(sum[:])), nil
}
