package keyvault

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"unicode/utf8"
)

// Limits on request content (Learn "about secrets": values 25k bytes,
// contentType 255 characters, 15 tags of 256-character names and values).
// 25k is taken as 25,600 bytes, the figure other tools use (unverified).
const (
	MaxValueBytes   = 25600
	maxContentType  = 255
	maxTags         = 15
	maxTagPart      = 256
	maxBodyBytes    = 1 << 20
	maxPageSize     = 25
	defaultPageSize = 25
	secondsPerDay   = 24 * 60 * 60
)

// readJSON decodes the request body into v; an empty body decodes as {}
// when allowEmpty. Error texts never quote the body: it may hold a value.
func readJSON(r *http.Request, v any, allowEmpty bool) *kvError {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			e := badParameter("The request body is larger than 1 MiB.")
			return &e
		}
		e := badParameter("The request body could not be read.")
		return &e
	}
	if len(b) == 0 && allowEmpty {
		return nil
	}
	if len(b) == 0 {
		e := badParameter("The request body is empty; it must be a JSON object.")
		return &e
	}
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			e := badParameter("The request body has a wrong type for property '" + clip(te.Field) + "'.")
			return &e
		}
		e := badParameter("The request body is not a valid JSON object.")
		return &e
	}
	return nil
}

// checkMetadata validates contentType and tags.
func checkMetadata(contentType *string, tags map[string]string) *kvError {
	if contentType != nil && utf8.RuneCountInString(*contentType) > maxContentType {
		e := badParameter("The contentType is longer than 255 characters.")
		return &e
	}
	if len(tags) > maxTags {
		e := badParameter("A secret can have at most 15 tags.")
		return &e
	}
	for k, v := range tags {
		if k == "" || utf8.RuneCountInString(k) > maxTagPart || utf8.RuneCountInString(v) > maxTagPart {
			e := badParameter("Tag names must be 1-256 characters and tag values at most 256 characters.")
			return &e
		}
	}
	return nil
}

// applyAttributes copies the settable attributes onto a version.
func applyAttributes(v *secretVersion, a *attributesIn) {
	if a == nil {
		return
	}
	if a.Enabled != nil {
		v.Enabled = *a.Enabled
	}
	if a.NotBefore != nil {
		n := *a.NotBefore
		v.NotBefore = &n
	}
	if a.Expires != nil {
		e := *a.Expires
		v.Expires = &e
	}
}

func copyTags(t map[string]string) map[string]string {
	if len(t) == 0 {
		return nil
	}
	c := make(map[string]string, len(t))
	for k, v := range t {
		c[k] = v
	}
	return c
}
