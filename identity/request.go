package identity

import (
	"context"
	"net/http"
	"net/url"
)

// selectorNames are the query parameters a host reads a user-assigned
// identity from, one per ID kind; "" for a kind the host cannot select
// (New refuses those before any request is built).
type selectorNames struct{ client, object, resource string }

var (
	// IMDS and Azure Arc: msi_res_id is the current spelling (mi_res_id is
	// the older alias, which we do not send).
	imdsSelectors = selectorNames{client: "client_id", object: "object_id", resource: "msi_res_id"}
	// App Service 2019-08-01: object_id is its alias of principal_id, as
	// MSAL sends it.
	appServiceSelectors = selectorNames{client: "client_id", object: "object_id", resource: "mi_res_id"}
	// The 2017-09-01 protocol (legacy App Service, Azure ML): client ID only.
	msi2017Selectors = selectorNames{client: "clientid"}
)

// tokenQuery is the query of a token GET: api-version, resource and, for a
// user-assigned identity, its selector.
func tokenQuery(apiVersion, resource string, id ID, names selectorNames) url.Values {
	q := url.Values{}
	q.Set("api-version", apiVersion)
	q.Set("resource", resource)
	var name string
	switch id.Kind() {
	case ClientIDKind:
		name = names.client
	case ObjectIDKind:
		name = names.object
	case ResourceIDKind:
		name = names.resource
	}
	if name != "" {
		q.Set(name, id.Value())
	}
	return q
}

// newGet builds GET base?q carrying the one header a host requires: IMDS's
// and Arc's "Metadata: true" guard, or the host's secret (never logged).
func newGet(ctx context.Context, base string, q url.Values, header, value string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set(header, value)
	return req, nil
}
