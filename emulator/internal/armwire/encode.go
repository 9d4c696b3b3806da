package armwire

import (
	"encoding/json"
	"slices"
	"strconv"
)

// plain marks the bytes encoding/json copies unescaped: printable ASCII
// except '"', backslash and the HTML-sensitive '<', '>' and '&'.
var plain = func() (t [256]bool) {
	for c := 0x20; c <= 0x7e; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()

// AppendString appends s as a JSON string. Printable ASCII other than the
// characters encoding/json escapes is copied as is; anything else goes
// through json.Marshal, so escaping stays exactly encoding/json's.
func AppendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !plain[s[i]] {
			q, err := json.Marshal(s)
			if err != nil { // cannot happen for a string
				return strconv.AppendQuote(b, s)
			}
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// AppendStringMap appends m as a JSON object with its keys sorted, as
// encoding/json orders them. A nil map is written as {}, not null.
func AppendStringMap(b []byte, m map[string]string) []byte {
	b = append(b, '{')
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, k)
		b = append(b, ':')
		b = AppendString(b, m[k])
	}
	return append(b, '}')
}
