package identity

import (
	"context"
	"net/http"
)

const msi2017APIVersion = "2017-09-01"

// msi2017Source speaks the 2017-09-01 protocol shared by legacy App Service
// (protocols.md §5.2) and Azure Machine Learning (§9): GET MSI_ENDPOINT with
// MSI_SECRET in the "secret" header and the client ID, the only selector,
// in "clientid". The two hosts differ only in expires_on (a date string on
// App Service, a number on Azure ML), which the shared parser reads either
// way, so one implementation serves both; host only picks the name.
type msi2017Source struct {
	host            string // HostAppService2017 or HostAzureML
	endpoint        string // full token URL
	secret          string // MSI_SECRET; only ever put in the request header
	defaultClientID string // DEFAULT_IDENTITY_CLIENT_ID (Azure ML), sent when no ID is configured
	reason          string
}

// newMSI2017Source reads MSI_ENDPOINT, the secret MSI_SECRET and, on Azure
// ML, DEFAULT_IDENTITY_CLIENT_ID.
func newMSI2017Source(h hostEnv) (source, error) {
	ep, err := h.endpoint(envMSIEndpoint, "")
	if err != nil {
		return nil, err
	}
	sec, err := h.secret(envMSISecret)
	if err != nil {
		return nil, err
	}
	s := &msi2017Source{host: h.host, endpoint: ep, secret: sec, reason: h.reason}
	if h.host == HostAzureML {
		s.defaultClientID = h.env(envMLDefaultClient)
	}
	return s, nil
}

func (s *msi2017Source) info() SourceInfo {
	return SourceInfo{Name: hostDisplayName[s.host], Host: s.host, Endpoint: s.endpoint, Reason: s.reason}
}

func (s *msi2017Source) hostNoun() string {
	if s.host == HostAzureML {
		return "Azure ML compute"
	}
	return "app"
}

// supports: client ID only (MSAL Go: "Azure ML supports specifying a
// user-assigned managed identity by client ID only").
func (s *msi2017Source) supports(k IDKind) bool { return k == SystemAssigned || k == ClientIDKind }

func (s *msi2017Source) retryPolicy() retryPolicy { return hostRetryPolicy() }

func (s *msi2017Source) tokenRequest(ctx context.Context, resource string, id ID) (*http.Request, error) {
	if id.Kind() == SystemAssigned && s.defaultClientID != "" {
		// Azure ML's default identity. MSAL Go sends an empty clientid= when
		// the variable is unset; we omit the parameter instead.
		id = ClientID(s.defaultClientID)
	}
	return newGet(ctx, s.endpoint, tokenQuery(msi2017APIVersion, resource, id, msi2017Selectors), "secret", s.secret)
}

func (s *msi2017Source) secrets() []string { return []string{s.secret} }
