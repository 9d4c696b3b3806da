package emulator

import "net/http"

// armResponse is the answer a handler builds while serve holds a.mu: the
// status and the value to encode (headers go straight into the response's
// header map, which is no I/O). serve encodes and writes it after
// unlocking, so neither JSON encoding nor a slow client holds up other
// requests. The value must not alias state a later write changes in place:
// stored groups are replaced on every write, never modified, and a config
// snapshot is never modified.
type armResponse struct {
	status int
	body   any // encoded as JSON; nil: an empty body
}

// json answers status with v encoded as JSON.
func (req *armReq) json(status int, v any) { req.res = armResponse{status: status, body: v} }

// empty answers status with no body.
func (req *armReq) empty(status int) { req.res = armResponse{status: status} }

// fail answers ARM's ErrorResponse (§12.3).
func (req *armReq) fail(status int, code, message string) {
	req.hdr.Set("x-ms-error-code", code)
	req.json(status, armErrorBody{Error: armError{Code: code, Message: message}})
}

// header is the response's header map.
func (req *armReq) header() http.Header { return req.hdr }

// flush writes the recorded answer. A handler that recorded none is a bug;
// it gets a 500 rather than an empty 200.
func (res *armResponse) flush(w http.ResponseWriter) {
	switch {
	case res.status == 0:
		writeARMError(w, http.StatusInternalServerError, "InternalServerError", "The ARM emulator produced no answer for this request.")
	case res.body == nil:
		writeEmpty(w, res.status)
	default:
		armJSON(w, res.status, res.body)
	}
}

// armErrorBody is {"error": {...}}.
type armErrorBody struct {
	Error armError `json:"error"`
}

// armList is a page of an ARM list: the value array and, when more
// follows, the nextLink (§12.6).
type armList[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"nextLink,omitempty"`
}
