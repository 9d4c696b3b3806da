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
// and at most one selector (imdsSelectors).
func (s *imdsSource) tokenRequest(ctx context.Context, resource string, id ID) (*http.Request, error) {
	return s.get(ctx, imdsTokenPath, tokenQuery(imdsTokenAPIVersion, resource, id, imdsSelectors))
}

func (s *imdsSource) instanceRequest(ctx context.Context) (*http.Request, error) {
	return s.get(ctx, imdsInstancePath, url.Values{"api-version": {imdsInstanceVersion}})
}

// get sends IMDS's SSRF guard, required and lower case (protocols.md §3.1).
func (s *imdsSource) get(ctx context.Context, path string, q url.Values) (*http.Request, error) {
	return newGet(ctx, s.endpoint+path, q, "Metadata", "true")
}
