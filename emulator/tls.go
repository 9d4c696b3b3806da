package emulator

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// Files under StateDir (or the server's temp dir) holding the local CA. The
// CA survives restarts so that a client trusts it once.
const (
	caCertFile = "ca.pem"
	caKeyFile  = "ca-key.pem"
)

// tlsMaterial is the ARM listener's certificate and the PEM clients trust.
type tlsMaterial struct {
	caPEM  []byte // the CA (or the user's certificate chain)
	caPath string // set by writeCAFile
	leaf   tls.Certificate
	userCA bool // caPEM came from TLSCertFile: don't write ca-key.pem
	caKey  *ecdsa.PrivateKey
	caCert *x509.Certificate
}

func newTLSMaterial(o Options) (*tlsMaterial, error) {
	if o.TLSCertFile != "" {
		leaf, err := tls.LoadX509KeyPair(o.TLSCertFile, o.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("emulator: TLSCertFile/TLSKeyFile: %w", err)
		}
		pemData, err := os.ReadFile(o.TLSCertFile)
		if err != nil {
			return nil, fmt.Errorf("emulator: TLSCertFile: %w", err)
		}
		return &tlsMaterial{caPEM: pemData, leaf: leaf, userCA: true}, nil
	}
	m := &tlsMaterial{}
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

func (m *tlsMaterial) loadCA(dir string) error {
	certDER, err := readPEM(filepath.Join(dir, caCertFile), "CERTIFICATE")
	if err != nil {
		return err
	}
	keyDER, err := readPEM(filepath.Join(dir, caKeyFile), "PRIVATE KEY")
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
	m.caPEM = pemBytes("CERTIFICATE", certDER)
	return nil
}

func (m *tlsMaterial) newCA() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("emulator: CA key: %w", err)
	}
	serial, err := randSerial()
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
	m.caPEM = pemBytes("CERTIFICATE", der)
	return nil
}

// issueLeaf makes the ARM server certificate, valid for the loopback names
// plus extra host names (IPs or DNS names).
func (m *tlsMaterial) issueLeaf(extra []string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("emulator: TLS key: %w", err)
	}
	serial, err := randSerial()
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
	m.leaf = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return nil
}

// writeCAFile stores the CA certificate (and, for our own CA, its key with
// mode 0600) in dir, so clients can point SSL_CERT_FILE at it.
func (m *tlsMaterial) writeCAFile(dir string) error {
	path := filepath.Join(dir, caCertFile)
	if m.userCA {
		path = filepath.Join(dir, "tls-cert.pem")
	}
	if err := writeFileAtomic(path, m.caPEM, 0o644); err != nil {
		return err
	}
	if !m.userCA {
		keyDER, err := x509.MarshalPKCS8PrivateKey(m.caKey)
		if err != nil {
			return fmt.Errorf("emulator: CA key: %w", err)
		}
		if err := writePEM(filepath.Join(dir, caKeyFile), "PRIVATE KEY", keyDER, 0o600); err != nil {
			return err
		}
	}
	m.caPath = path
	return nil
}

// CACertPEM returns the PEM certificate clients must trust to reach ARM over
// HTTPS: the emulator's CA, or the user's certificate (TLSCertFile).
func (s *Server) CACertPEM() []byte { return append([]byte(nil), s.certs.caPEM...) }

// CACertFile is the path of CACertPEM on disk: in StateDir, or in a
// temporary directory removed by Close.
func (s *Server) CACertFile() string { return s.certs.caPath }

// HTTPClient returns a client that trusts CACertPEM, dials only loopback
// addresses and the emulator's own listeners, ignores proxies and never
// follows redirects.
func (s *Server) HTTPClient() *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.certs.caPEM)
	own := map[string]bool{}
	for _, a := range s.listenAddrs {
		own[a] = true
	}
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if host == "localhost" {
				addr = net.JoinHostPort("127.0.0.1", port)
			} else if ip := net.ParseIP(host); !own[addr] && (ip == nil || !ip.IsLoopback()) {
				return nil, fmt.Errorf("emulator client: refusing to dial %s: only loopback and the emulator's own addresses", addr)
			}
			return d.DialContext(ctx, network, addr)
		},
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func pemBytes(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("emulator: writing %s: %w", path, err)
	}
	name := tmp.Name()
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr, os.Chmod(name, mode)); err != nil {
		_ = os.Remove(name)
		return fmt.Errorf("emulator: writing %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		_ = os.Remove(name)
		return fmt.Errorf("emulator: writing %s: %w", path, err)
	}
	return nil
}
