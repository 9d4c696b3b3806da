package entra

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// AADSTS codes the endpoint answers with. The meanings are Entra's; the
// error values and statuses paired with them in the constructors below are
// partly unverified (protocols-2026.md §19.8).
const (
	CodeMissingParameter      = 900144  // a required form field is missing
	CodeMissingCredential     = 7000218 // neither client_assertion nor client_secret (observed)
	CodeUnexpectedAssertion   = 90011   // client_assertion_type is not jwt-bearer (observed; unverified)
	CodeUnsupportedGrant      = 70003   // grant_type is not client_credentials (unverified)
	CodeInvalidScope          = 70011   // scope is not {resource}/.default
	CodeMalformedAssertion    = 50027   // the assertion is not a well-formed JWT
	CodeAssertionSignature    = 700027  // the signature does not verify against the issuer's keys
	CodeIssuerUnreachable     = 90061   // the issuer's keys could not be fetched (unverified)
	CodeExpiredAssertion      = 700024  // the assertion is outside its validity window
	CodeNoFederatedCredential = 70021   // no federated credential matches iss/sub/aud
	CodeAppNotFound           = 700016  // client_id is not an application of the tenant
	CodeTenantNotFound        = 90002   // the tenant in the path does not exist
	CodeInvalidResource       = 500011  // no resource principal for the scope
	CodeUnknownInstance       = 50049   // instance discovery for a host that is not this one (unverified)
	CodeNotPost               = 900561  // the token endpoint only accepts POST (unverified)
	CodeThrottled             = 50196   // injected 429 (unverified; Entra's throttling code is not documented)
	CodeServiceUnavailable    = 90033   // injected 5xx (unverified)
)

// Error is an Entra error answer: the HTTP status, the OAuth error value and
// the AADSTS code with its message. Trace and correlation ids and the
// timestamp are added when it is written.
type Error struct {
	Status  int    // HTTP status
	Code    string // OAuth "error", e.g. invalid_request
	AADSTS  int    // e.g. 70021
	Message string // the text after "AADSTSnnnn: ", ending with a full stop
	// RetryAfter, when positive, is sent as Retry-After (whole seconds).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	return fmt.Sprintf("entra: %d %s: AADSTS%d: %s", e.Status, e.Code, e.AADSTS, e.Message)
}

func newError(status int, code string, aadsts int, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, AADSTS: aadsts, Message: fmt.Sprintf(format, args...)}
}

// errorBody is Entra's JSON error shape (Learn reference-error-codes).
type errorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri"`
}

// entraTimestamp is the layout of Entra's "timestamp" ("2026-01-01 12:00:00Z").
const entraTimestamp = "2006-01-02 15:04:05Z"

// writeError writes e in Entra's shape. correlationID echoes the client's
// client-request-id when it sent one. The error_uri points at base (this
// emulator), not at the real Entra host, so nothing can follow it off the
// machine.
func writeError(w http.ResponseWriter, e *Error, base, correlationID string, now time.Time) {
	if correlationID == "" {
		correlationID = newGUID()
	}
	trace := newGUID()
	ts := now.UTC().Format(entraTimestamp)
	code := strconv.Itoa(e.AADSTS)
	body := errorBody{
		Error: e.Code,
		ErrorDescription: "AADSTS" + code + ": " + e.Message +
			" Trace ID: " + trace + " Correlation ID: " + correlationID + " Timestamp: " + ts,
		ErrorCodes:    []int{e.AADSTS},
		Timestamp:     ts,
		TraceID:       trace,
		CorrelationID: correlationID,
		ErrorURI:      base + "/error?code=" + code,
	}
	if e.RetryAfter > 0 {
		secs := int((e.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	writeJSON(w, e.Status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only plain structs and maps are written
		http.Error(w, "entra: encoding the answer failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// newGUID returns a random version-4 UUID.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
