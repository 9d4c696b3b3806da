package httpx

import (
	"net/http"
	"net/url"
	"strconv"
)

// OAuthError is the OAuth-style error body of the token endpoints (IMDS,
// Azure Arc, Azure ML) and of injected faults.
type OAuthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// WriteOAuthError answers status with an OAuthError.
func WriteOAuthError(w http.ResponseWriter, status int, e, desc string) {
	WriteJSON(w, status, OAuthError{Error: e, Description: desc})
}

// ParseQuery decodes the query, accepting percent-encoded and raw values,
// and refuses repeated parameter names (IMDS rejects them; the exact
// response is unverified, protocols.md §3.1). bad is the refusal's text.
func ParseQuery(raw string) (q url.Values, bad string) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, "The query string is malformed: " + err.Error()
	}
	for k, v := range q {
		if len(v) > 1 {
			return nil, "The query parameter " + strconv.Quote(k) + " is specified more than once"
		}
	}
	return q, ""
}

// WriteText answers 200 with a plain-text body.
func WriteText(w http.ResponseWriter, s string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(s))
}
