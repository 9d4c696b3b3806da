package arm

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// skipToken is the opaque continuation in a nextLink. Paging is by key set:
// After is the last (lower-case) sort key returned, so items created or
// deleted between pages never cause a later item to be skipped or repeated.
// Scope ties the token to the collection it came from; Left is how many
// items $top still allows (-1 = no limit).
type skipToken struct {
	V     int    `json:"v"`
	Scope string `json:"s"`
	After string `json:"a"`
	Left  int    `json:"l"`
}

// maxSkipToken bounds the encoded token; ours are far shorter.
const maxSkipToken = 2048

func (t skipToken) encode() string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

var errBadSkipToken = errors.New("the $skiptoken is not one this emulator issued; restart listing from the first page")

// parseSkipToken decodes a token for the collection scope (lower case).
// Padding and the standard base64 alphabet are tolerated because some
// clients re-encode query values.
func parseSkipToken(s, scope string) (skipToken, error) {
	if len(s) == 0 || len(s) > maxSkipToken {
		return skipToken{}, errBadSkipToken
	}
	s = strings.TrimRight(s, "=")
	s = strings.NewReplacer("+", "-", "/", "_").Replace(s)
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return skipToken{}, errBadSkipToken
	}
	var t skipToken
	if err := json.Unmarshal(b, &t); err != nil || t.V != 1 || t.Scope != scope || t.Left < -1 || t.Left == 0 {
		return skipToken{}, errBadSkipToken
	}
	return t, nil
}

// skipTokenParam returns the continuation from the query. Clients send it
// as "$skiptoken" raw or as "%24skiptoken" (§18); both decode to the same key.
func skipTokenParam(q url.Values) string {
	for k, v := range q {
		if strings.EqualFold(k, "$skiptoken") && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// nextLink builds the absolute URL of the next page: same host the request
// came to, api-version, any extra (already escaped) parameters, and the
// token.
func nextLink(r *http.Request, path, apiVersion, extra string, t skipToken) string {
	u := baseURL(r) + path + "?api-version=" + url.QueryEscape(apiVersion)
	if extra != "" {
		u += "&" + extra
	}
	return u + "&%24skiptoken=" + t.encode()
}
