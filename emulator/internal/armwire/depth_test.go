package armwire

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCheckDepth(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		max  int
		err  string
	}{
		{"flat", `{"a":1}`, 1, ""},
		{"at the limit", `{"a":[{"b":[]}]}`, 4, ""},
		{"one too deep", `{"a":[{"b":[]}]}`, 3, "the JSON nests deeper than 3 levels"},
		{"brackets in a string", `{"a":"[[[{{{"}`, 1, ""},
		{"escaped quote keeps the string open", `{"a":"\"[[["}`, 1, ""},
		{"escaped backslash closes it", `{"a":"\\","b":[[]]}`, 2, "the JSON nests deeper than 2 levels"},
		{"deep array", strings.Repeat("[", 1000), 64, "the JSON nests deeper than 64 levels"},
		{"syntax is not its business", `]]]}}}`, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckDepth([]byte(tc.data), tc.max)
			if tc.err == "" && err != nil {
				t.Fatalf("CheckDepth = %v, want nil", err)
			}
			if tc.err != "" && (err == nil || err.Error() != tc.err) {
				t.Fatalf("CheckDepth = %v, want %q", err, tc.err)
			}
		})
	}
}

// FuzzCheckDepth: on valid JSON, CheckDepth agrees with the real nesting.
func FuzzCheckDepth(f *testing.F) {
	f.Add(`{"a":[1,{"b":"]]]"}]}`)
	f.Add(`"\"{{{"`)
	f.Add(`[[["\\"]]]`)
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckDepth([]byte(s), 3)
		if !json.Valid([]byte(s)) {
			return
		}
		if deep := depthOf(t, s) > 3; deep != (err != nil) {
			t.Fatalf("CheckDepth(%q) = %v, real depth %d", s, err, depthOf(t, s))
		}
	})
}

// depthOf measures nesting with the decoder's tokens.
func depthOf(t *testing.T, s string) int {
	dec := json.NewDecoder(strings.NewReader(s))
	depth, most := 0, 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return most
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			most = max(most, depth)
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
}
