package emulator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

const sfAPIVersion = "2019-07-01-preview"

// sfErrors are Service Fabric's code and wording for the failed checks
// (protocols.md §8); an empty msg keeps the check's own.
var sfErrors = [...]struct{ code, msg string }{
	checkPath:     {"NotFound", ""},
	checkMethod:   {"MethodNotAllowed", ""},
	checkNoSecret: {"SecretHeaderNotFound", "Secret is not found in the request headers."},
	checkSecret:   {"SecretHeaderInvalid", "The Secret header does not match the application's secret."},
	checkQuery:    {"InvalidRequest", ""},
	checkVersion:  {"InvalidApiVersion", ""},
	checkResource: {"ArgumentNullOrEmpty", "The parameter 'resource' should not be null or empty string."},
	checkSelector: {"InvalidParameter", ""},
}

func writeSFError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"correlationId": newGUID(), "code": code, "message": msg}})
}

// selfSignedTLS makes the Service Fabric listener's certificate: a fresh
// self-signed ECDSA leaf for 127.0.0.1, ::1 and localhost, trusted by
// clients only through its thumbprint (uppercase hex SHA-1 of the DER, as
// IDENTITY_SERVER_THUMBPRINT carries it).
func selfSignedTLS() (*tls.Config, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, "", fmt.Errorf("emulator: Service Fabric key: %w", err)
	}
	serial, err := randSerial()
	if err != nil {
		return nil, "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "azmsi emulator Service Fabric"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, "", fmt.Errorf("emulator: Service Fabric certificate: %w", err)
	}
	sum := sha1.Sum(der)
	tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	return tc, strings.ToUpper(hex.EncodeToString(sum[:])), nil
}

// serviceFabricHandler serves GET /metadata/identity/oauth2/token over HTTPS
// (protocols.md §8, §15.7): Secret header (missing → 401
// SecretHeaderNotFound, wrong → 401 SecretHeaderInvalid; statuses
// unverified, §16.6), api-version 2019-07-01-preview (InvalidApiVersion),
// resource (ArgumentNullOrEmpty). The cluster fixes the identity: any
// selector is refused. expires_on is a JSON number, as in the docs.
func (s *Server) serviceFabricHandler(he *hostEndpoint) http.Handler {
	rules := &secretHost{path: sfTokenPath, header: "Secret", apiVersion: sfAPIVersion,
		refused:    []string{"client_id", "clientid", "object_id", "principal_id", "msi_res_id", "mi_res_id"},
		refusedWhy: "Service Fabric does not support selecting a user-assigned identity"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, resource, f := s.checkToken(r, w, he, rules)
		if f != nil {
			code, msg := sfErrors[f.check].code, sfErrors[f.check].msg
			if msg == "" {
				msg = f.msg
			}
			writeSFError(w, f.status, code, msg)
			return
		}
		id, tok, status, _ := s.issue("", "", resource, false)
		if id == nil {
			if status == http.StatusInternalServerError {
				writeSFError(w, status, "InternalServerError", "An error occurred.")
				return
			}
			writeSFError(w, http.StatusNotFound, "ManagedIdentityNotFound", "Managed identity not found for the specified application host.")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, map[string]any{
			"token_type": "Bearer", "access_token": tok.raw, "expires_on": tok.expiresAt.Unix(), "resource": resource,
		})
	})
}
