package arm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ResponseError is a non-success answer from ARM.
type ResponseError struct {
	StatusCode int
	// Code comes from the x-ms-error-code header, else the body's error.code.
	Code           string
	Message        string
	Target         string
	Details        []ErrorDetail
	AdditionalInfo []AdditionalInfo
	RequestID      string // x-ms-request-id
	CorrelationID  string // x-ms-correlation-request-id
	Method, URL    string // the request; the URL never carries credentials
	// Retries is how many times the request was retried before this answer.
	Retries int
	// OperationStatus is set when a long-running operation ended Failed or
	// Canceled (the HTTP status of the status response is then 200).
	OperationStatus string
	// Hint is the next step for the codes a managed-identity user meets, or
	// "" when there is no advice beyond the message. It describes the fix,
	// not a tool to run: the caller may be any program, and may show it its
	// own way (Summary is the error without it).
	Hint string
}

// ErrorDetail is one entry of error.details; it nests.
type ErrorDetail struct {
	Code           string           `json:"code"`
	Message        string           `json:"message"`
	Target         string           `json:"target,omitempty"`
	Details        []ErrorDetail    `json:"details,omitempty"`
	AdditionalInfo []AdditionalInfo `json:"additionalInfo,omitempty"`
}

// AdditionalInfo is one entry of error.additionalInfo, e.g. a policy violation.
type AdditionalInfo struct {
	Type string          `json:"type"`
	Info json.RawMessage `json:"info,omitempty"`
}

// Error is Summary, followed by "\n  hint: " and Hint when there is advice.
func (e *ResponseError) Error() string {
	if e.Hint == "" {
		return e.Summary()
	}
	return e.Summary() + "\n  hint: " + e.Hint
}

// Summary is one line a person can act on: the request, the status, ARM's
// code and message, the retries and the request ID; no hint.
func (e *ResponseError) Summary() string {
	var b strings.Builder
	if e.Code == "AuthorizationFailed" {
		if s := authorizationFailed(e); s != "" {
			return s
		}
	}
	b.WriteString("arm: ")
	if e.Method != "" {
		b.WriteString(e.Method + " " + e.URL + ": ")
	}
	if e.OperationStatus != "" {
		fmt.Fprintf(&b, "long-running operation ended %s", e.OperationStatus)
	} else {
		fmt.Fprintf(&b, "%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	if e.Code != "" {
		b.WriteString(" (" + e.Code + ")")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Retries > 0 {
		fmt.Fprintf(&b, " [gave up after retrying %d times]", e.Retries)
	}
	if e.RequestID != "" {
		b.WriteString(" (request id " + e.RequestID + ")")
	}
	return b.String()
}

// hintFor is the advice for e's code and status (see ResponseError.Hint);
// u is the request URL, whose subscription the advice names.
func hintFor(e *ResponseError, u *url.URL) string {
	if e.Code == "AuthorizationFailed" {
		if h := authorizationHint(e); h != "" {
			return h
		}
	}
	sub := ""
	if u != nil {
		sub = subscriptionOf(u.Path)
	}
	switch e.Code {
	case "ResourceGroupNotFound":
		if sub != "" {
			return "check the resource group name (case-insensitive) and that the group is in subscription " + sub
		}
		return "check the resource group name (case-insensitive) and the subscription"
	case "SubscriptionNotFound", "InvalidSubscriptionId":
		scope := "/subscriptions/{id}"
		if sub != "" {
			scope = "/subscriptions/" + sub
		}
		return "check the subscription ID; a managed identity sees a subscription only where it holds a role: assign it one such as Reader at " + scope
	case "InvalidAuthenticationTokenAudience":
		return "the token was issued for another resource; request it for the cloud's ARM audience (e.g. https://management.core.windows.net/) and make sure Options.Cloud matches the endpoint"
	case "ExpiredAuthenticationToken":
		return "the token expired even after a forced refresh; check the clock of this machine and of the token endpoint"
	case "InvalidAuthenticationToken", "AuthenticationFailed", "AuthenticationFailedInvalidHeader":
		return "ARM rejected the token; make sure it is a managed-identity token for the ARM audience of this cloud"
	case "InvalidAuthenticationTokenTenant":
		return "the identity belongs to a different tenant than the subscription"
	case "TooManyRequests", "RetryableErrorDueToAnotherOperation":
		return "ARM is throttling this identity; wait and retry later, or make fewer requests (reads refill at about 25 per second per subscription)"
	case "MissingApiVersionParameter", "InvalidApiVersionParameter", "NoRegisteredProviderFound":
		return "pass a supported api-version for this resource type"
	case "ResourceNotFound":
		return "check the resource ID: its name, type and resource group (names are case-insensitive)"
	case "ParentResourceNotFound":
		return "a parent resource in the ID does not exist; create it first or check its name"
	case "InvalidResourceGroupLocation":
		return "a resource group's location cannot change; use the existing location or a new group name"
	case "ResourceGroupBeingDeleted":
		return "wait for the deletion to finish, then retry"
	}
	switch {
	case e.StatusCode == http.StatusTooManyRequests:
		return "ARM is throttling this identity; wait and retry later"
	case e.StatusCode == http.StatusUnauthorized:
		return "ARM did not accept the token; check that the managed identity is enabled and the token is for this cloud's ARM audience"
	case e.StatusCode == http.StatusForbidden:
		return "the identity lacks a role assignment for this operation: assign it a role such as Reader (to read) or Contributor (to change) at the resource's scope"
	}
	return ""
}

// subscriptionOf returns the subscription ID in a request URL's path, or "".
func subscriptionOf(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i := 0; i+1 < len(segs); i++ {
		if strings.EqualFold(segs[i], "subscriptions") && segs[i+1] != "" {
			return segs[i+1]
		}
	}
	return ""
}

// newResponseError builds the error for a response to method u (u may be
// nil when only the code matters). secret (the bearer token) is scrubbed
// from everything taken from the body and headers, in case a proxy echoed
// the request headers back.
func newResponseError(method string, u *url.URL, status int, h http.Header, body []byte, secret string) *ResponseError {
	e := &ResponseError{
		StatusCode:    status,
		Method:        method,
		RequestID:     scrub(h.Get("x-ms-request-id"), secret),
		CorrelationID: scrub(h.Get("x-ms-correlation-request-id"), secret),
	}
	parseErrorBody(e, h.Get("Content-Type"), body)
	if c := strings.TrimSpace(h.Get("x-ms-error-code")); c != "" {
		e.Code = c
	}
	e.Code = scrub(printable(e.Code, 100), secret)
	e.Message = scrub(e.Message, secret)
	e.Target = scrub(e.Target, secret)
	scrubDetails(e.Details, secret)
	scrubInfo(e.AdditionalInfo, secret)
	if u != nil {
		e.URL = u.String()
	}
	e.Hint = hintFor(e, u)
	return e
}

func scrubDetails(ds []ErrorDetail, secret string) {
	for i := range ds {
		ds[i].Code = scrub(ds[i].Code, secret)
		ds[i].Message = scrub(ds[i].Message, secret)
		ds[i].Target = scrub(ds[i].Target, secret)
		scrubDetails(ds[i].Details, secret)
		scrubInfo(ds[i].AdditionalInfo, secret)
	}
}

// scrubInfo redacts secret in additionalInfo, kept as raw JSON: the
// replacement has no quote or backslash, so the JSON stays valid.
func scrubInfo(is []AdditionalInfo, secret string) {
	for i := range is {
		is[i].Type = scrub(is[i].Type, secret)
		is[i].Info = json.RawMessage(scrub(string(is[i].Info), secret))
	}
}

func scrub(s, secret string) string {
	if len(secret) >= 8 && strings.Contains(s, secret) {
		s = strings.ReplaceAll(s, secret, "<redacted>")
	}
	return s
}

// errorEnvelope is ARM's {"error": {...}}; some services send the inner
// object at the top level, which is accepted too.
type errorEnvelope struct {
	Error *ErrorDetail `json:"error"`
	ErrorDetail
}

// parseErrorBody fills Code, Message, Target, Details and AdditionalInfo
// from body. Non-JSON bodies (an HTML page from a proxy, plain text) become
// a short, printable summary.
func parseErrorBody(e *ResponseError, contentType string, body []byte) {
	trimmed := strings.TrimSpace(string(body))
	if trimmed == "" {
		return
	}
	var env errorEnvelope
	if strings.HasPrefix(trimmed, "{") && json.Unmarshal(body, &env) == nil {
		d := env.Error
		if d == nil && (env.Code != "" || env.Message != "") {
			d = &env.ErrorDetail
		}
		if d != nil {
			e.fill(d)
			return
		}
	}
	e.Message = summarizeBody(contentType, trimmed)
}

// fill copies ARM's error object d (of an error response or of a failed
// long-running operation) into e.
func (e *ResponseError) fill(d *ErrorDetail) {
	e.Code, e.Message, e.Target = d.Code, printable(d.Message, 2000), d.Target
	e.Details, e.AdditionalInfo = d.Details, d.AdditionalInfo
}

var (
	reTitle = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	reTags  = regexp.MustCompile(`(?s)<[^>]*>`)
	reStyle = regexp.MustCompile(`(?is)<(script|style)[^>]*>.*?</(script|style)>`)
)

// summarizeBody describes a non-JSON body in at most 200 printable characters.
func summarizeBody(contentType, body string) string {
	kind := "non-JSON"
	if ct := strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]); ct != "" {
		kind = printable(ct, 60)
	}
	lower := strings.ToLower(body)
	if strings.Contains(lower, "<html") || strings.Contains(lower, "<!doctype") || strings.Contains(kind, "html") {
		text := ""
		if m := reTitle.FindStringSubmatch(body); m != nil {
			text = m[1]
		} else {
			text = reTags.ReplaceAllString(reStyle.ReplaceAllString(body, " "), " ")
		}
		return fmt.Sprintf("unexpected %s response (a proxy or gateway?): %s", kind, printable(text, 200))
	}
	return fmt.Sprintf("unexpected %s response: %s", kind, printable(body, 200))
}

// printable collapses whitespace, drops control and invalid characters and
// truncates to n runes.
func printable(s string, n int) string {
	var b strings.Builder
	space, count := false, 0
	for len(s) > 0 && count < n {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		switch {
		case r == utf8.RuneError && size <= 1:
			continue
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case !unicode.IsPrint(r):
			continue
		}
		if space {
			b.WriteByte(' ')
			count++
			space = false
		}
		b.WriteRune(r)
		count++
	}
	if len(s) > 0 {
		b.WriteString("…")
	}
	return b.String()
}
