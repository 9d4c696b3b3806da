package hosts

import (
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"
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
func loadPinnedCertificate(path string) (*tls.Config, string, error) {
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
	if now := time.Now(); now.After(leaf.NotAfter) || now.Before(leaf.NotBefore) {
		return nil, "", fmt.Errorf("emulator: hosts.servicefabric.certificate %s is valid from %s to %s, not now", path, leaf.NotBefore.Format(time.RFC3339), leaf.NotAfter.Format(time.RFC3339))
	}
	sum := sha1.Sum(cert.Certificate[0])
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, strings.ToUpper(hex.EncodeToString(sum[:])), nil
}
