package hosts

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
	"io/fs"
	"net"
	"os"
	"strings"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/pemfile"
)

// maxPEM bounds the certificate file read: a certificate and its key are a
// few kilobytes.
const maxPEM = 1 << 20

// loadPinnedCertificate reads a PEM file holding Service Fabric's
// certificate (the leaf first) and its private key, and returns the TLS
// configuration and the leaf's thumbprint (uppercase hex SHA-1 of its DER,
// as IDENTITY_SERVER_THUMBPRINT carries it). Clients pin the thumbprint,
// so the certificate need not chain anywhere; an expired one is refused
// because peers that validate normally first would see it fail.
func loadPinnedCertificate(path string, now time.Time) (*tls.Config, string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, "", fmt.Errorf("emulator: hosts.servicefabric.certificate: %v", err)
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxPEM {
		return nil, "", fmt.Errorf("emulator: hosts.servicefabric.certificate %s is not a PEM file of at most %d bytes", path, maxPEM)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("emulator: hosts.servicefabric.certificate: %v", err)
	}
	cert, err := tls.X509KeyPair(data, data)
	if err != nil {
		return nil, "", fmt.Errorf("emulator: hosts.servicefabric.certificate %s must hold a CERTIFICATE and its PRIVATE KEY in PEM: %v", path, err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, "", fmt.Errorf("emulator: hosts.servicefabric.certificate %s: %v", path, err)
	}
	if now.After(leaf.NotAfter) || now.Before(leaf.NotBefore) {
		return nil, "", fmt.Errorf("emulator: hosts.servicefabric.certificate %s is valid from %s to %s, not now", path, leaf.NotBefore.Format(time.RFC3339), leaf.NotAfter.Format(time.RFC3339))
	}
	sum := sha1.Sum(cert.Certificate[0])
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, strings.ToUpper(hex.EncodeToString(sum[:])), nil
}

// sfStateCertFile is Service Fabric's certificate and key in the state
// folder, so that IDENTITY_SERVER_THUMBPRINT stays the same across
// restarts with the same folder.
const sfStateCertFile = "servicefabric.pem"

// stateCertificate loads path, or makes it (0600) when it is absent or
// expires within a day.
func stateCertificate(path string, now time.Time) (*tls.Config, string, error) {
	if data, err := os.ReadFile(path); err == nil {
		if cert, err := tls.X509KeyPair(data, data); err == nil {
			if leaf, err := x509.ParseCertificate(cert.Certificate[0]); err == nil && now.Add(24*time.Hour).Before(leaf.NotAfter) && !now.Before(leaf.NotBefore) {
				return loadPinnedCertificate(path, now)
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("emulator: Service Fabric certificate %s: %v", path, err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, "", fmt.Errorf("emulator: Service Fabric key: %w", err)
	}
	serial, err := pemfile.Serial()
	if err != nil {
		return nil, "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "azmsi emulator Service Fabric"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, "", fmt.Errorf("emulator: Service Fabric certificate: %w", err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, "", fmt.Errorf("emulator: Service Fabric key: %w", err)
	}
	if err := pemfile.WriteAtomic(path, append(pemfile.Encode("CERTIFICATE", der), pemfile.Encode("PRIVATE KEY", kder)...), 0o600); err != nil {
		return nil, "", err
	}
	return loadPinnedCertificate(path, now)
}
