package arm

import (
	"net/http"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/httpx"
)

// commonHeaders sets the headers ARM sends on every response (§12.2).
func (a *Service) commonHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	id := httpx.NewGUID()
	corr := r.Header.Get("x-ms-correlation-request-id")
	if corr == "" || len(corr) > 128 || strings.ContainsAny(corr, "\r\n") {
		// Echoing a client-sent id is unverified (§12.2); the recordings
		// show it equal to the request id when the client sends none.
		corr = id
	}
	h.Set("Cache-Control", "no-cache")
	h.Set("Pragma", "no-cache")
	h.Set("Expires", "-1")
	h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("x-ms-request-id", id)
	h.Set("x-ms-correlation-request-id", corr)
	h.Set("x-ms-routing-request-id", "EMULATOR:"+a.now().UTC().Format("20060102T150405Z")+":"+id)
	if cid := r.Header.Get("x-ms-client-request-id"); cid != "" && len(cid) <= 128 && !strings.ContainsAny(cid, "\r\n") {
		h.Set("x-ms-client-request-id", cid)
	}
}

// rateHeader is the x-ms-ratelimit header ARM sends for method (§12.2).
func rateHeader(method string) string {
	switch method {
	case http.MethodPut, http.MethodPatch, http.MethodPost:
		return "x-ms-ratelimit-remaining-subscription-writes"
	case http.MethodDelete:
		return "x-ms-ratelimit-remaining-subscription-deletes"
	}
	return "x-ms-ratelimit-remaining-subscription-reads"
}
