package roles

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Error is an ARM error answer: the status and the {"error":{code,message}}
// body. Messages never contain a token or a secret: they name ids, scopes,
// actions and role names only.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Caller is the authenticated principal of a request, as the verified
// token names it.
type Caller struct {
	ObjectID string // the token's oid
	ClientID string // the token's appid (for a managed identity: its client id); a user's upn otherwise
}

// AuthorizationFailed is ARM's 403 for caller lacking action over scope
// (protocols §12.3, observed wording).
func AuthorizationFailed(caller Caller, action, scope string) *Error {
	return errorf(http.StatusForbidden, "AuthorizationFailed",
		"The client '%s' with object id '%s' does not have authorization to perform action '%s' over scope '%s' or the scope is invalid. If access was recently granted, please refresh your credentials.",
		caller.ClientID, caller.ObjectID, action, scope)
}

// WriteError writes e as ARM does: x-ms-error-code and the JSON body. An
// AuthorizationFailed also carries x-ms-failure-cause: gateway, since ARM's
// front door, not the resource provider, refuses it.
func WriteError(w http.ResponseWriter, e *Error) {
	w.Header().Set("x-ms-error-code", e.Code)
	if e.Code == "AuthorizationFailed" {
		w.Header().Set("x-ms-failure-cause", "gateway")
	}
	writeJSON(w, e.Status, errorBody{Error: errorDetail{Code: e.Code, Message: e.Message}})
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only this package's own types are encoded; this cannot fail for them.
		b = []byte(`{"error":{"code":"InternalServerError","message":"response encoding failed"}}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeEmpty(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}
