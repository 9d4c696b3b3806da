package keyvaultclient

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/testenv"
)

// tlsServer starts an HTTPS server for *.vault.localhost and returns it
// with a loopback-only client that trusts it.
func tlsServer(t *testing.T, h http.Handler) (*httptest.Server, *http.Client) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test vault"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"*.vault.localhost", "*.other.localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, testenv.LoopbackOnlyClient(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// port is the server's port.
func port(srv *httptest.Server) string {
	_, p, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "https://"))
	return p
}

// tokens records the resources asked for and hands out a fixed token.
type tokens struct {
	mu        sync.Mutex
	resources []string
}

func (k *tokens) get(_ context.Context, resource string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.resources = append(k.resources, resource)
	return "tok-123", nil
}

func newClient(t *testing.T, hc *http.Client, suffix string, tk *tokens) *Client {
	t.Helper()
	c, err := New(Options{Token: tk.get, HTTPClient: hc, Getenv: func(k string) string {
		if k == SuffixEnv {
			return suffix
		}
		return ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
