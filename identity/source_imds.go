package identity

import (
	"context"
	"net/http"
	"net/url"
)

// defaultIMDSEndpoint is the Azure Instance Metadata Service. It is reached
// only when neither Options.Endpoint nor AZURE_POD_IDENTITY_AUTHORITY_HOST is
// set; tests never leave it at this default.
const defaultIMDSEndpoint = "http://169.254.169.254"

const (
	imdsTokenPath       = "/metadata/identity/oauth2/token"
	imdsTokenAPIVersion = "2018-02-01"
	imdsInstancePath    = "/metadata/instance/compute"
	imdsInstanceVersion = "2021-02-01"
)

// imdsSource speaks the IMDS token protocol (protocols.md §3) of Azure VMs,
// VM scale sets and AKS nodes, and serves instance metadata (§4).
type imdsSource struct {
	endpoint string // base URL without trailing slash
	reason   string
}

func (s *imdsSource) info() SourceInfo {
	return SourceInfo{Name: "IMDS", Host: HostIMDS, Endpoint: s.endpoint, Reason: s.reason}
}

func (s *imdsSource) hostNoun() string { return "VM" }

// supports: IMDS takes every selector.
func (s *imdsSource) supports(IDKind) bool { return true }

func (s *imdsSource) retryPolicy() retryPolicy { return imdsRetryPolicy() }

// tokenRequest builds GET /metadata/identity/oauth2/token with the resource
// and at most one selector. msi_res_id is the current spelling (mi_res_id is
// the older alias, which we do not send).
func (s *imdsSource) tokenRequest(ctx context.Context, resource string, id ID) (*http.Request, error) {
	q := url.Values{}
	q.Set("api-version", imdsTokenAPIVersion)
	q.Set("resource", resource)
	switch id.Kind() {
	case ClientIDKind:
		q.Set("client_id", id.Value())
	case ObjectIDKind:
		q.Set("object_id", id.Value())
	case ResourceIDKind:
		q.Set("msi_res_id", id.Value())
	}
	return s.get(ctx, imdsTokenPath, q)
}

func (s *imdsSource) instanceRequest(ctx context.Context) (*http.Request, error) {
	q := url.Values{}
	q.Set("api-version", imdsInstanceVersion)
	return s.get(ctx, imdsInstancePath, q)
}

func (s *imdsSource) get(ctx context.Context, path string, q url.Values) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.endpoint+path+"?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	// IMDS's SSRF guard: required, lower case (protocols.md §3.1).
	req.Header.Set("Metadata", "true")
	return req, nil
}
