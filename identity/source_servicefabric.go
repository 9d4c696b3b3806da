package identity

import (
	"context"
	"crypto/sha1"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

const (
	// serviceFabricAPIVersion is what MSAL.NET sends today (protocols-2026
	// §23.1); it added principalId and the revocation parameters.
	serviceFabricAPIVersion = "2020-05-01"
	// serviceFabricOldAPIVersion is the Learn page's and MSAL Go's version,
	// used only after a host refused the new one (refusesAPIVersion).
	serviceFabricOldAPIVersion = "2019-07-01-preview"
)

// serviceFabricSelectors: 2020-05-01 selects a user-assigned identity by
// object ID only, sent as principalId (MSAL.NET; a client-ID or
// resource-ID parameter is documented nowhere, so New refuses those kinds).
var serviceFabricSelectors = selectorNames{object: "principalId"}

// ErrThumbprintMismatch is matched (errors.Is) when the Service Fabric
// endpoint's certificate does not have the SHA-1 thumbprint given in
// IDENTITY_SERVER_THUMBPRINT. The request is not sent.
var ErrThumbprintMismatch = errors.New("TLS certificate thumbprint from Service Fabric did not match IDENTITY_SERVER_THUMBPRINT")

// serviceFabricSource speaks Service Fabric's managed-identity protocol
// (protocols.md §8): HTTPS to IDENTITY_ENDPOINT, whose self-signed
// certificate is trusted only by its SHA-1 thumbprint, the secret
// IDENTITY_HEADER in the "Secret" header. api-version 2020-05-01 selects a
// user-assigned identity by object ID (principalId) and takes the
// revocation parameters (revoke.go); a host that refuses 2020-05-01 is
// asked with 2019-07-01-preview from then on, for the system-assigned
// identity only (the old version has no selector).
type serviceFabricSource struct {
	endpoint   string   // full https token URL
	secret     string   // IDENTITY_HEADER; only ever put in the request header
	thumbprint [20]byte // SHA-1 of the leaf certificate's DER
	reason     string

	oldVersion atomic.Bool // the host refused 2020-05-01
}

// newServiceFabricSource reads the https IDENTITY_ENDPOINT, the secret
// IDENTITY_HEADER and the certificate pin IDENTITY_SERVER_THUMBPRINT.
func newServiceFabricSource(h hostEnv) (source, error) {
	ep, err := h.endpoint(envIdentityEndpoint, "")
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(ep, "https://") {
		return nil, fmt.Errorf("identity: the Service Fabric endpoint %q must use HTTPS", ep)
	}
	sec, err := h.secret(envIdentityHeader)
	if err != nil {
		return nil, err
	}
	tp := h.env(envSFThumbprint)
	if tp == "" {
		return nil, fmt.Errorf("identity: Service Fabric needs %s, which is not set", envSFThumbprint)
	}
	pin, err := parseThumbprint(tp)
	if err != nil {
		return nil, err
	}
	return &serviceFabricSource{endpoint: ep, secret: sec, thumbprint: pin, reason: h.reason}, nil
}

func (s *serviceFabricSource) info() SourceInfo {
	return SourceInfo{Name: hostDisplayName[HostServiceFabric], Host: HostServiceFabric, Endpoint: s.endpoint, Reason: s.reason}
}

func (s *serviceFabricSource) hostNoun() string { return "Service Fabric application" }
func (s *serviceFabricSource) supports(k IDKind) bool {
	return k == SystemAssigned || k == ObjectIDKind
}
func (s *serviceFabricSource) retryPolicy() retryPolicy { return serviceFabricRetryPolicy() }

func (s *serviceFabricSource) tokenRequest(ctx context.Context, resource string, id ID) (*http.Request, error) {
	return s.request(ctx, resource, id, nil)
}

// revocationRequest adds xms_cc and token_sha256_to_refresh, which MSAL
// Python sends on both versions and MSAL.NET on 2020-05-01.
func (s *serviceFabricSource) revocationRequest(ctx context.Context, resource string, id ID, rejectedSHA256 string) (*http.Request, error) {
	return s.request(ctx, resource, id, revocationQuery(rejectedSHA256))
}

func (s *serviceFabricSource) request(ctx context.Context, resource string, id ID, extra map[string]string) (*http.Request, error) {
	version := serviceFabricAPIVersion
	if s.oldVersion.Load() {
		version = serviceFabricOldAPIVersion
	}
	q := tokenQuery(version, resource, id, serviceFabricSelectors)
	for k, v := range extra {
		q.Set(k, v)
	}
	req, err := newGet(ctx, s.endpoint, q, "Secret", s.secret)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// fallBack switches to 2019-07-01-preview when the host refused 2020-05-01
// for the system-assigned identity; the caller sends the request again. A
// user-assigned identity cannot be named in the old version, so its
// refusal stands (and says so).
func (s *serviceFabricSource) fallBack(ex *exchange, id ID) bool {
	if id.IsUserAssigned() || s.oldVersion.Load() || !refusesAPIVersion(ex) {
		return false
	}
	s.oldVersion.Store(true)
	return true
}

// parseThumbprint normalizes IDENTITY_SERVER_THUMBPRINT: ':' and spaces
// removed, 40 hex digits, any case.
func parseThumbprint(v string) ([20]byte, error) {
	var out [20]byte
	s := strings.Map(func(r rune) rune {
		if r == ':' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, v)
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(out) {
		return out, fmt.Errorf("identity: %s must be a SHA-1 certificate thumbprint (40 hex digits, ':' and spaces allowed), got %d characters", envSFThumbprint, len(strings.TrimSpace(v)))
	}
	copy(out[:], b)
	return out, nil
}

// tune clones base into a dedicated transport (its own connection pool, so
// no connection verified otherwise is ever reused) whose TLS check is the
// thumbprint pin instead of chain verification, and which follows no
// redirect: a redirect would carry the Secret header elsewhere.
func (s *serviceFabricSource) tune(base *http.Transport) (*http.Client, *http.Transport) {
	t := base.Clone()
	pin := s.thumbprint
	t.TLSClientConfig = &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Chain verification is replaced by the pin below: the certificate is
		// self-signed by design (protocols.md §8).
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return ErrThumbprintMismatch
			}
			sum := sha1.Sum(cs.PeerCertificates[0].Raw)
			if subtle.ConstantTimeCompare(sum[:], pin[:]) != 1 {
				return ErrThumbprintMismatch
			}
			return nil
		},
	}
	t.TLSHandshakeTimeout = 10 * time.Second
	return &http.Client{Transport: t, CheckRedirect: noRedirect}, t
}

func (s *serviceFabricSource) secrets() []string { return []string{s.secret} }
