package entra

import (
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// Form values of the client-credentials grant with a federated assertion.
const (
	GrantClientCredentials = "client_credentials"
	AssertionTypeJWTBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

// maxForm bounds a token request body.
const maxForm = 64 << 10

// tokenRequest is a decoded token request. The assertion is kept apart from
// anything that may be logged or echoed.
type tokenRequest struct {
	GrantType     string
	ClientID      string
	Scope         string
	AssertionType string
	Assertion     string
	ClientSecret  bool // present; secrets are not supported here
}

// parseTokenForm decodes and checks a token request body in the order Entra
// reports problems: grant type, client, scope, then the credential.
func parseTokenForm(contentType string, body []byte) (tokenRequest, *Error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		// Entra cannot read a body of another type, so the first field it
		// looks for is missing.
		return tokenRequest{}, missing("grant_type")
	}
	if len(body) > maxForm {
		return tokenRequest{}, newError(http.StatusBadRequest, "invalid_request", CodeMissingParameter,
			"The request body is %d bytes; at most %d are accepted.", len(body), maxForm)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return tokenRequest{}, newError(http.StatusBadRequest, "invalid_request", CodeMissingParameter,
			"The request body is not valid form encoding (application/x-www-form-urlencoded).")
	}
	r := tokenRequest{
		GrantType:     form.Get("grant_type"),
		ClientID:      form.Get("client_id"),
		Scope:         form.Get("scope"),
		AssertionType: form.Get("client_assertion_type"),
		Assertion:     form.Get("client_assertion"),
		ClientSecret:  form.Get("client_secret") != "",
	}
	switch {
	case r.GrantType == "":
		return r, missing("grant_type")
	case r.GrantType != GrantClientCredentials:
		return r, newError(http.StatusBadRequest, "unsupported_grant_type", CodeUnsupportedGrant,
			"The app requested an unsupported grant type '%s'; this endpoint serves '%s' with a federated assertion.", clip(r.GrantType), GrantClientCredentials)
	case r.ClientID == "":
		return r, missing("client_id")
	case r.Scope == "":
		return r, missing("scope")
	case r.Assertion == "":
		return r, newError(http.StatusUnauthorized, "invalid_client", CodeMissingCredential,
			"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
	case r.AssertionType == "":
		return r, missing("client_assertion_type")
	case r.AssertionType != AssertionTypeJWTBearer:
		return r, newError(http.StatusBadRequest, "invalid_request", CodeUnexpectedAssertion,
			"Unexpected client assertion type '%s'; expected '%s'.", clip(r.AssertionType), AssertionTypeJWTBearer)
	}
	return r, nil
}

func missing(field string) *Error {
	return newError(http.StatusBadRequest, "invalid_request", CodeMissingParameter,
		"The request body must contain the following parameter: '%s'.", field)
}

// resourceOf returns the resource of a client-credentials scope: the one
// "{resource}/.default" entry, ignoring the OIDC scopes MSAL adds.
func resourceOf(scope string) (string, *Error) {
	var resources []string
	for _, s := range strings.Fields(scope) {
		switch s {
		case "openid", "offline_access", "profile", "email":
			continue
		}
		if !strings.HasSuffix(s, "/.default") || len(s) == len("/.default") {
			return "", newError(http.StatusBadRequest, "invalid_scope", CodeInvalidScope,
				"The provided value for the input parameter 'scope' is not valid. The scope %s is not valid; client credentials need '{resource}/.default'.", clip(s))
		}
		resources = append(resources, strings.TrimSuffix(s, "/.default"))
	}
	if len(resources) != 1 {
		return "", newError(http.StatusBadRequest, "invalid_scope", CodeInvalidScope,
			"The provided value for the input parameter 'scope' is not valid. Give exactly one '{resource}/.default' scope (got %d).", len(resources))
	}
	return resources[0], nil
}

// clip shortens a client-supplied value before it is echoed in an error.
func clip(s string) string {
	const max = 200
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
