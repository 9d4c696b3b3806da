package arm

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
)

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
func (req *Request) json(status int, v any) { req.res = armResponse{status: status, body: v} }

// empty answers status with no body.
func (req *Request) empty(status int) { req.res = armResponse{status: status} }

// fail answers ARM's ErrorResponse (§12.3).
func (req *Request) fail(status int, code, message string) {
	req.hdr.Set("x-ms-error-code", code)
	req.json(status, armErrorBody{Error: armError{Code: code, Message: message}})
}

// header is the response's header map.
func (req *Request) header() http.Header { return req.hdr }

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

// armError is ARM's ErrorResponse (§12.3).
type armError struct {
	Code    string     `json:"code"`
	Message string     `json:"message"`
	Target  string     `json:"target,omitempty"`
	Details []armError `json:"details,omitempty"`
}

func writeARMError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("x-ms-error-code", code)
	armJSON(w, status, armErrorBody{Error: armError{Code: code, Message: message}})
}

// encodeBufs recycles the buffers of jsonAppender bodies (list pages);
// buffers that grew past maxPooledBuf are left to the GC.
var encodeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 32<<10); return &b }}

const maxPooledBuf = 1 << 20

func armJSON(w http.ResponseWriter, status int, v any) {
	var b []byte
	var err error
	if a, ok := v.(jsonAppender); ok {
		buf := encodeBufs.Get().(*[]byte)
		b = a.appendJSON((*buf)[:0])
		defer func() {
			if cap(b) <= maxPooledBuf {
				*buf = b
				encodeBufs.Put(buf)
			}
		}()
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		// Only our own types are marshalled; this cannot fail for them.
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

func (a *Service) internalError(req *Request, err error) {
	a.logger.Error("ARM emulator internal error", "method", req.r.Method, "path", req.r.URL.Path, "err", err)
	req.fail(http.StatusInternalServerError, "InternalServerError",
		"The ARM emulator failed to process the request: "+err.Error())
}

// baseURL is scheme://host of the request, for nextLink and Location.
func baseURL(r *http.Request) string {
	scheme := "https"
	if r.TLS == nil {
		// Only when the handler is served without TLS (httptest); the
		// emulator's ARM listener is always HTTPS.
		scheme = "http"
	}
	return scheme + "://" + r.Host
}
