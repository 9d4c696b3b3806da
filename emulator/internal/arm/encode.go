package arm

import (
	"encoding/json"
	"slices"
	"strconv"
)

// jsonAppender is a response body that encodes itself without reflection.
// A list page of resource groups is the emulator's hottest answer, and
// encoding/json's reflection over 100 groups was a third of its CPU
// (bench: BenchmarkEmulator/list-pages). The output is byte for byte what
// json.Marshal writes for the same value (encode_test.go checks).
type jsonAppender interface {
	appendJSON(b []byte) []byte
}

// groupPage is a list page of resource groups; the fields and tags are
// those of armList[armGroup], so json.Marshal gives the same bytes.
type groupPage struct {
	Value    []armGroup `json:"value"`
	NextLink string     `json:"nextLink,omitempty"`
}

func (p *groupPage) appendJSON(b []byte) []byte {
	b = append(b, `{"value":[`...)
	for i := range p.Value {
		if i > 0 {
			b = append(b, ',')
		}
		b = p.Value[i].appendJSON(b)
	}
	b = append(b, ']')
	if p.NextLink != "" {
		b = append(b, `,"nextLink":`...)
		b = appendJSONString(b, p.NextLink)
	}
	return append(b, '}')
}

func (g *armGroup) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, g.ID)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, g.Name)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, g.Type)
	b = append(b, `,"location":`...)
	b = appendJSONString(b, g.Location)
	if len(g.Tags) > 0 {
		b = append(b, `,"tags":{`...)
		keys := make([]string, 0, len(g.Tags))
		for k := range g.Tags {
			keys = append(keys, k)
		}
		slices.Sort(keys) // encoding/json sorts map keys
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, g.Tags[k])
		}
		b = append(b, '}')
	}
	if g.ManagedBy != "" {
		b = append(b, `,"managedBy":`...)
		b = appendJSONString(b, g.ManagedBy)
	}
	b = append(b, `,"properties":{"provisioningState":`...)
	b = appendJSONString(b, g.Properties.ProvisioningState)
	return append(b, "}}"...)
}

// jsonPlain marks the bytes encoding/json copies unescaped: printable
// ASCII except '"', backslash and the HTML-sensitive '<', '>' and '&'.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c <= 0x7e; c++ {
		t[c] = true
	}
	for _, c := range `"\\<>&` {
		t[c] = false
	}
	return t
}()

// appendJSONString appends s as a JSON string. Printable ASCII other than
// the characters encoding/json escapes is copied as is; anything else goes
// through json.Marshal, so escaping stays exactly encoding/json's.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !jsonPlain[s[i]] {
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
