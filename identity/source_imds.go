package identity

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// envPodIdentityHost overrides the IMDS base URL, as in the Python SDKs
// (protocols.md §2.3).
const envPodIdentityHost = "AZURE_POD_IDENTITY_AUTHORITY_HOST"

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

// newIMDSSource resolves the IMDS base URL: Options.Endpoint, else
// $AZURE_POD_IDENTITY_AUTHORITY_HOST, else the default address; a unix://
// endpoint is reached through that socket (source_unix.go). The reason
// says which, whatever chose IMDS.
func newIMDSSource(h hostEnv) (source, error) {
	endpoint, reason := h.opts.Endpoint, "Options.Endpoint"
	if endpoint == "" {
		if v := h.env(envPodIdentityHost); v != "" {
			endpoint, reason = v, "$"+envPodIdentityHost
		} else {
			endpoint, reason = defaultIMDSEndpoint, "no managed-identity environment variable set: Azure VM IMDS at its default address"
		}
	}
	if src, ok, err := unixSocketSource(endpoint, reason); ok {
		if err != nil {
			return nil, fmt.Errorf("identity: endpoint %q (from %s) %v", endpoint, reason, err)
		}
		return src, nil
	}
	base, err := normalizeEndpoint(endpoint)
	if err != nil {
		return nil, fmt.Errorf("identity: endpoint %q (from %s) %v; expected a base URL such as http://127.0.0.1:8079", endpoint, reason, err)
	}
	return &imdsSource{endpoint: base, reason: reason}, nil
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
