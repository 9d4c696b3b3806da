package identity

import (
	"context"
	"net/http"
)

const appServiceAPIVersion = "2019-08-01"

// appServiceSource speaks App Service / Functions / Container Apps
// 2019-08-01 (protocols.md §5.1): GET IDENTITY_ENDPOINT with the secret
// IDENTITY_HEADER in X-IDENTITY-HEADER. Every selector is accepted
// (appServiceSelectors).
type appServiceSource struct {
	endpoint string // full token URL
	secret   string // IDENTITY_HEADER; only ever put in the request header
	reason   string
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
	return &appServiceSource{endpoint: ep, secret: sec, reason: h.reason}, nil
}

func (s *appServiceSource) info() SourceInfo {
	return SourceInfo{Name: hostDisplayName[HostAppService], Host: HostAppService, Endpoint: s.endpoint, Reason: s.reason}
}

func (s *appServiceSource) hostNoun() string         { return "app" }
func (s *appServiceSource) supports(IDKind) bool     { return true }
func (s *appServiceSource) retryPolicy() retryPolicy { return hostRetryPolicy() }

func (s *appServiceSource) tokenRequest(ctx context.Context, resource string, id ID) (*http.Request, error) {
	return newGet(ctx, s.endpoint, tokenQuery(appServiceAPIVersion, resource, id, appServiceSelectors), "X-IDENTITY-HEADER", s.secret)
}

func (s *appServiceSource) secrets() []string { return []string{s.secret} }
