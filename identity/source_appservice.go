package identity

import (
	"context"
	"net/http"
	"net/url"
)

const appServiceAPIVersion = "2019-08-01"

// appServiceSource speaks App Service / Functions / Container Apps
// 2019-08-01 (protocols.md §5.1): GET IDENTITY_ENDPOINT with the secret
// IDENTITY_HEADER in X-IDENTITY-HEADER. Every selector is accepted:
// client_id, object_id (App Service's alias of principal_id, as MSAL sends)
// and mi_res_id.
type appServiceSource struct {
	endpoint string // full token URL
	secret   string // IDENTITY_HEADER; only ever put in the request header
	reason   string
}

func (s *appServiceSource) info() SourceInfo {
	return SourceInfo{Name: hostDisplayName[HostAppService], Host: HostAppService, Endpoint: s.endpoint, Reason: s.reason}
}

func (s *appServiceSource) hostNoun() string         { return "app" }
func (s *appServiceSource) supports(IDKind) bool     { return true }
func (s *appServiceSource) retryPolicy() retryPolicy { return hostRetryPolicy() }

func (s *appServiceSource) tokenRequest(ctx context.Context, resource string, id ID) (*http.Request, error) {
	q := url.Values{}
	q.Set("api-version", appServiceAPIVersion)
	q.Set("resource", resource)
	switch id.Kind() {
	case ClientIDKind:
		q.Set("client_id", id.Value())
	case ObjectIDKind:
		q.Set("object_id", id.Value())
	case ResourceIDKind:
		q.Set("mi_res_id", id.Value())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.endpoint+"?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-IDENTITY-HEADER", s.secret)
	return req, nil
}

func (s *appServiceSource) secrets() []string { return []string{s.secret} }
