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
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cleanPath(r.URL.Path) != sfTokenPath {
			writeSFError(w, http.StatusNotFound, "NotFound", "Not found; the token path is "+sfTokenPath)
			return
		}
		s.stats.tokenRequests.Add(1)
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			writeSFError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "Use GET")
			return
		}
		sec, ok := r.Header["Secret"]
		switch {
		case !ok:
			writeSFError(w, http.StatusUnauthorized, "SecretHeaderNotFound", "Secret is not found in the request headers.")
			return
		case len(sec) != 1 || !secretEqual(sec[0], he.secret):
			writeSFError(w, http.StatusUnauthorized, "SecretHeaderInvalid", "The Secret header does not match the application's secret.")
			return
		}
		q, bad := parseQuery(r.URL.RawQuery)
		if bad != "" {
			writeSFError(w, http.StatusBadRequest, "InvalidRequest", bad)
			return
		}
		if v := q.Get("api-version"); v != sfAPIVersion {
			writeSFError(w, http.StatusBadRequest, "InvalidApiVersion", "The api-version '"+clip(v)+"' is not supported. Supported version is '"+sfAPIVersion+"'.")
			return
		}
		resource := q.Get("resource")
		if strings.TrimSpace(resource) == "" {
			writeSFError(w, http.StatusBadRequest, "ArgumentNullOrEmpty", "The parameter 'resource' should not be null or empty string.")
			return
		}
		for _, p := range []string{"client_id", "clientid", "object_id", "principal_id", "msi_res_id", "mi_res_id"} {
			if q.Has(p) {
				writeSFError(w, http.StatusBadRequest, "InvalidParameter", "Service Fabric does not support selecting a user-assigned identity ("+p+")")
				return
			}
		}
		id, tok, status, _ := s.issue("", "", resource)
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
