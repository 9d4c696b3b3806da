package keyvault

import (
	"encoding/json"
	"net/http"
	"strings"
)

// kvError is Key Vault's error envelope (spec KeyVaultError). Most codes
// and all texts are observed rather than documented (unverified).
type kvError struct {
	status  int
	code    string
	inner   string // innererror.code, "" for none
	message string
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code       string      `json:"code"`
	Message    string      `json:"message"`
	InnerError *innerError `json:"innererror,omitempty"`
}

type innerError struct {
	Code string `json:"code"`
}

func writeError(w http.ResponseWriter, e kvError) {
	body := errorBody{Error: errorDetail{Code: e.code, Message: e.message}}
	if e.inner != "" {
		body.Error.InnerError = &innerError{Code: e.inner}
	}
	writeJSON(w, e.status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"InternalError","message":"The response could not be encoded."}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func badParameter(msg string) kvError {
	return kvError{status: http.StatusBadRequest, code: "BadParameter", message: msg}
}

func secretNotFound(name string) kvError {
	return kvError{status: http.StatusNotFound, code: "SecretNotFound",
		message: "A secret with (name/id) " + name + " was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"}
}

func deletedSecretNotFound(name string) kvError {
	return kvError{status: http.StatusNotFound, code: "SecretNotFound",
		message: "Deleted Secret not found: " + name}
}

// clip bounds and sanitises client-supplied text echoed in a message
// (names and versions only; never a value).
func clip(s string) string {
	if len(s) > 130 {
		s = s[:130] + "…"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
