package resources

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// apiError is an ARM error answer: status and ErrorResponse
// {"error":{"code","message","target"?,"details"?}}.
type apiError struct {
	status  int
	code    string
	message string
	target  string
	details []errorBody
}

type errorBody struct {
	Code    string      `json:"code"`
	Message string      `json:"message"`
	Target  string      `json:"target,omitempty"`
	Details []errorBody `json:"details,omitempty"`
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("x-ms-error-code", e.code)
	b, _ := json.Marshal(struct {
		Error errorBody `json:"error"`
	}{errorBody{Code: e.code, Message: e.message, Target: e.target, Details: e.details}})
	writeJSON(w, e.status, b)
}

func writeJSON(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeEmpty(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

// marshal encodes the package's own response types; they cannot fail.
func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(`{}`)
	}
	return b
}
