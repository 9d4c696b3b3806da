package identity

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// cloudShellSource speaks Cloud Shell's form POST (protocols.md §6): POST
// MSI_ENDPOINT, body resource=<resource>, header Metadata: true. Cloud
// Shell hands out the signed-in user's tokens, so no selector exists.
type cloudShellSource struct {
	endpoint string // full token URL
	reason   string
}

// newCloudShellSource reads MSI_ENDPOINT; Cloud Shell sends no secret.
func newCloudShellSource(h hostEnv) (source, error) {
	ep, err := h.endpoint(envMSIEndpoint, "")
	if err != nil {
		return nil, err
	}
	return &cloudShellSource{endpoint: ep, reason: h.reason}, nil
}

func (s *cloudShellSource) info() SourceInfo {
	return SourceInfo{Name: hostDisplayName[HostCloudShell], Host: HostCloudShell, Endpoint: s.endpoint, Reason: s.reason}
}

func (s *cloudShellSource) hostNoun() string         { return "Cloud Shell session" }
func (s *cloudShellSource) supports(k IDKind) bool   { return k == SystemAssigned }
func (s *cloudShellSource) retryPolicy() retryPolicy { return hostRetryPolicy() }

func (s *cloudShellSource) tokenRequest(ctx context.Context, resource string, _ ID) (*http.Request, error) {
	form := url.Values{}
	form.Set("resource", resource)
	// A fresh body per attempt: tokenRequest is called again for each retry.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Metadata", "true")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}
