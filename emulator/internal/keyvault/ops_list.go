package keyvault

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
)

// pageParams reads maxresults (1–25, default 25) and $skiptoken (an
// opaque base64url cursor the emulator emitted).
func pageParams(req *request) (size int, cursor string, e *kvError) {
	q := req.r.URL.Query()
	size = defaultPageSize
	if s := q.Get("maxresults"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPageSize {
			k := badParameter("Invalid value for maxresults: " + clip(s) + ". It must be an integer from 1 to 25.")
			return 0, "", &k
		}
		size = n
	}
	if t := q.Get("$skiptoken"); t != "" {
		b, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil || len(b) == 0 || len(b) > 256 {
			k := badParameter("The $skiptoken is not one this vault issued.")
			return 0, "", &k
		}
		cursor = string(b)
	}
	return size, cursor, nil
}

// nextLink is an absolute URL carrying api-version, because Go azsecrets
// follows it verbatim. It uses the host the client addressed (the spec
// example adds ":443"; Python keys its challenge cache on host:port, so
// the emulator keeps the client's own form).
func nextLink(req *request, path, cursor string, size int) *string {
	q := url.Values{}
	q.Set("api-version", req.apiVersion)
	q.Set("$skiptoken", base64.RawURLEncoding.EncodeToString([]byte(cursor)))
	if req.r.URL.Query().Get("maxresults") != "" {
		q.Set("maxresults", strconv.Itoa(size))
	}
	s := "https://" + req.host.authority + path + "?" + q.Encode()
	return &s
}

// listPage renders records after the cursor as one page.
func listPage(req *request, path string, recs []*secretRecord, size int, render func(*secretRecord) bundleOut) pageOut {
	page := pageOut{Value: make([]bundleOut, 0, min(size, len(recs)))}
	for i, rec := range recs {
		if i == size {
			page.NextLink = nextLink(req, path, lowerName(recs[i-1]), size)
			break
		}
		page.Value = append(page.Value, render(rec))
	}
	return page
}

func lowerName(rec *secretRecord) string {
	b := []byte(rec.Name)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// listSecrets: GET /secrets lists live secrets (disabled ones included)
// by name, with the latest version's attributes and no value.
func (h *Handler) listSecrets(req *request) {
	size, cursor, e := pageParams(req)
	if e != nil {
		h.fail(req, *e)
		return
	}
	recs := h.store.list(req.host.vault, cursor, req.now, func(r *secretRecord) bool { return !r.Deleted })
	writeJSON(req.w, http.StatusOK, listPage(req, "/secrets", recs, size, func(r *secretRecord) bundleOut {
		return req.bundle(r, r.latest(), false, false)
	}))
}

// listVersions: GET /secrets/{name}/versions, oldest first, ids with
// their version. The cursor is the index of the next version.
func (h *Handler) listVersions(req *request) {
	size, cursor, e := pageParams(req)
	if e != nil {
		h.fail(req, *e)
		return
	}
	start := 0
	if cursor != "" {
		n, err := strconv.Atoi(cursor)
		if err != nil || n < 0 {
			h.fail(req, badParameter("The $skiptoken is not one this vault issued."))
			return
		}
		start = n
	}
	rec := h.store.get(req.host.vault, req.name, req.now)
	if rec == nil || rec.Deleted {
		h.fail(req, secretNotFound(req.name))
		return
	}
	page := pageOut{Value: []bundleOut{}}
	for i := start; i < len(rec.Versions); i++ {
		if len(page.Value) == size {
			page.NextLink = nextLink(req, "/secrets/"+rec.Name+"/versions", strconv.Itoa(i), size)
			break
		}
		page.Value = append(page.Value, req.bundle(rec, &rec.Versions[i], false, true))
	}
	writeJSON(req.w, http.StatusOK, page)
}
