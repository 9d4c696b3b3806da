package identity

import (
	"context"
	"net/http"
	"net/url"
	"sync/atomic"
)

const (
	appServiceAPIVersion = "2019-08-01"
	// appServiceRevocationAPIVersion is the version the revocation design
	// names for App Service (protocols-2026 §23.3). Only an MSAL.NET branch
	// sends it and whether App Service accepts it is unverified (U23-2), so
	// it is sent only on a revocation request, and a host that refuses it
	// gets the plain 2019-08-01 request from then on.
	appServiceRevocationAPIVersion = "2025-03-30"
)

// appServiceSource speaks App Service / Functions / Container Apps
// 2019-08-01 (protocols.md §5.1): GET IDENTITY_ENDPOINT with the secret
// IDENTITY_HEADER in X-IDENTITY-HEADER. Every selector is accepted
// (appServiceSelectors). Container Apps serves the same protocol; it is a
// host of its own only so that it is reported by name, and it gets no
// revocation request (the revocation design covers App Service only).
type appServiceSource struct {
	host     string // HostAppService or HostContainerApps
	endpoint string // full token URL
	secret   string // IDENTITY_HEADER; only ever put in the request header
	reason   string

	noRevocation atomic.Bool // the host refused appServiceRevocationAPIVersion
}

// newAppServiceSource reads IDENTITY_ENDPOINT and the secret IDENTITY_HEADER.
func newAppServiceSource(h hostEnv) (source, error) {
	ep, err := h.endpoint(envIdentityEndpoint, "")
	if err != nil {
		return nil, err
	}
	sec, err := h.secret(envIdentityHeader)
	if err != nil {
		return nil, err
	}
	return &appServiceSource{host: h.host, endpoint: ep, secret: sec, reason: h.reason}, nil
}

func (s *appServiceSource) info() SourceInfo {
	return SourceInfo{Name: hostDisplayName[s.host], Host: s.host, Endpoint: s.endpoint, Reason: s.reason}
}

func (s *appServiceSource) hostNoun() string {
	if s.host == HostContainerApps {
		return "container app"
	}
	return "app"
}
func (s *appServiceSource) supports(IDKind) bool     { return true }
func (s *appServiceSource) retryPolicy() retryPolicy { return hostRetryPolicy() }

func (s *appServiceSource) tokenRequest(ctx context.Context, resource string, id ID) (*http.Request, error) {
	return newGet(ctx, s.endpoint, tokenQuery(appServiceAPIVersion, resource, id, appServiceSelectors), "X-IDENTITY-HEADER", s.secret)
}

// revocationRequest asks App Service with 2025-03-30 and the revocation
// parameters; Container Apps, or an App Service that refused that version,
// gets the plain request.
func (s *appServiceSource) revocationRequest(ctx context.Context, resource string, id ID, rejectedSHA256 string) (*http.Request, error) {
	if s.host != HostAppService || s.noRevocation.Load() {
		return s.tokenRequest(ctx, resource, id)
	}
	q := tokenQuery(appServiceRevocationAPIVersion, resource, id, appServiceSelectors)
	for k, v := range revocationQuery(rejectedSHA256) {
		q.Set(k, v)
	}
	return newGet(ctx, s.endpoint, q, "X-IDENTITY-HEADER", s.secret)
}

// fallBack gives up 2025-03-30 when the host refused it: a 400 naming the
// api-version, or a 404 (a front end that routes by version).
func (s *appServiceSource) fallBack(ex *exchange, _ ID) bool {
	u, err := url.Parse(ex.url)
	if err != nil || u.Query().Get("api-version") != appServiceRevocationAPIVersion {
		return false
	}
	if ex.status != http.StatusNotFound && !refusesAPIVersion(ex) {
		return false
	}
	s.noRevocation.Store(true)
	return true
}

func (s *appServiceSource) secrets() []string { return []string{s.secret} }
