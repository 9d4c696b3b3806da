package arm

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// decodeGroupsPage decodes a resource-group list page without reflection:
// each group's fields are substrings of one string copied from the body (one
// allocation per group, two more for its tags map), so a listing of many
// groups allocates a few times per group instead of once per field.
//
// It handles the shape ARM sends. Whatever it does not handle exactly as
// encoding/json would (invalid JSON, escaped keys, keys differing only in
// case, odd types, invalid UTF-8, a repeated "value") makes it report
// ok=false, and the caller decodes the page with encoding/json instead; so
// the result is always encoding/json's.
func decodeGroupsPage(body []byte) (groups []ResourceGroup, next *string, ok bool) {
	if !json.Valid(body) {
		return nil, nil, false
	}
	d := groupsDecoder{b: body}
	d.ws()
	if d.peek() != '{' {
		return nil, nil, false
	}
	d.i++
	seenValue := false
	for d.more('}') {
		key, ok := d.key()
		if !ok {
			return nil, nil, false
		}
		switch string(key) {
		case "value":
			if seenValue {
				return nil, nil, false
			}
			seenValue = true
			if groups, ok = d.groups(); !ok {
				return nil, nil, false
			}
		case "nextLink":
			if d.null() {
				next = nil
				continue
			}
			s, ok := d.str(nil, 0)
			if !ok {
				return nil, nil, false
			}
			next = &s
		default:
			if foldsTo(key, "value", "nextLink") {
				return nil, nil, false
			}
			d.skip()
		}
	}
	d.ws()
	return groups, next, d.i == len(d.b)
}

// groupsDecoder walks JSON already checked by json.Valid, so it only
// follows the grammar, it does not enforce it.
type groupsDecoder struct {
	b []byte
	i int
}

func (d *groupsDecoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *groupsDecoder) peek() byte {
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// more consumes a separating comma and reports whether another member or
// element follows; at the closing byte it consumes it and reports false.
func (d *groupsDecoder) more(closing byte) bool {
	d.ws()
	switch d.peek() {
	case ',':
		d.i++
		d.ws()
		return true
	case closing:
		d.i++
		return false
	}
	return true
}

// key reads a member name and its colon; an escaped name is not handled.
func (d *groupsDecoder) key() ([]byte, bool) {
	d.ws()
	raw, escaped := d.rawString()
	if escaped {
		return nil, false
	}
	d.ws()
	d.i++ // ':'
	d.ws()
	return raw, true
}

// rawString consumes a string and returns its bytes between the quotes.
func (d *groupsDecoder) rawString() (raw []byte, escaped bool) {
	d.i++ // opening quote
	start := d.i
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case '\\':
			escaped = true
			d.i += 2
			continue
		case '"':
			raw = d.b[start:d.i]
			d.i++
			return raw, escaped
		}
		d.i++
	}
	return d.b[start:], escaped
}

// str reads a string value. Without escapes it is a substring of item (the
// copy of the group's bytes starting at body offset base) or, when item is
// empty, a copy; escaped strings are decoded by encoding/json. Invalid UTF-8
// (which encoding/json replaces) and non-strings report false.
func (d *groupsDecoder) str(item *string, base int) (string, bool) {
	d.ws()
	if d.peek() != '"' {
		return "", false
	}
	start := d.i
	raw, escaped := d.rawString()
	if escaped {
		var s string
		if err := json.Unmarshal(d.b[start:d.i], &s); err != nil {
			return "", false
		}
		return s, true
	}
	if !ascii(raw) && !utf8.Valid(raw) {
		return "", false
	}
	if item == nil {
		return string(raw), true
	}
	off := start + 1 - base
	return (*item)[off : off+len(raw)], true
}

func ascii(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// null consumes a JSON null if one is next.
func (d *groupsDecoder) null() bool {
	d.ws()
	if d.peek() == 'n' {
		d.i += 4
		return true
	}
	return false
}

// skip consumes one value of any kind.
func (d *groupsDecoder) skip() {
	d.ws()
	switch d.peek() {
	case '"':
		d.rawString()
	case '{', '[':
		depth := 0
		for d.i < len(d.b) {
			switch d.b[d.i] {
			case '"':
				d.rawString()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					d.i++
					return
				}
			}
			d.i++
		}
	default: // number, true, false, null
		for d.i < len(d.b) {
			switch d.b[d.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
			d.i++
		}
	}
}

// groups reads the "value" array.
func (d *groupsDecoder) groups() ([]ResourceGroup, bool) {
	if d.null() {
		return nil, true
	}
	if d.peek() != '[' {
		return nil, false
	}
	d.i++
	out := []ResourceGroup{}
	for d.more(']') {
		if d.null() {
			out = append(out, ResourceGroup{})
			continue
		}
		out = append(out, ResourceGroup{})
		if !d.group(&out[len(out)-1]) {
			return nil, false
		}
	}
	return out, true
}

// group reads one group object into g.
func (d *groupsDecoder) group(g *ResourceGroup) bool {
	if d.peek() != '{' {
		return false
	}
	start := d.i
	d.skip()
	end := d.i
	item := string(d.b[start:end]) // the one copy the group's strings share
	d.i = start + 1
	for d.more('}') {
		key, ok := d.key()
		if !ok {
			return false
		}
		var field *string
		switch string(key) {
		case "id":
			field = &g.ID
		case "name":
			field = &g.Name
		case "type":
			field = &g.Type
		case "location":
			field = &g.Location
		case "managedBy":
			field = &g.ManagedBy
		case "tags":
			if !d.tags(&g.Tags, &item, start) {
				return false
			}
			continue
		case "properties":
			if !d.properties(&g.Properties, &item, start) {
				return false
			}
			continue
		default:
			if foldsTo(key, "id", "name", "type", "location", "managedBy", "tags", "properties") {
				return false
			}
			d.skip()
			continue
		}
		if d.null() {
			continue // encoding/json leaves a string unchanged on null
		}
		s, ok := d.str(&item, start)
		if !ok {
			return false
		}
		*field = s
	}
	return d.i == end
}

func (d *groupsDecoder) tags(m *map[string]string, item *string, base int) bool {
	if d.null() {
		*m = nil
		return true
	}
	if d.peek() != '{' {
		return false
	}
	d.i++
	if *m == nil {
		*m = make(map[string]string, 1)
	}
	for d.more('}') {
		d.ws()
		k, ok := d.str(item, base)
		if !ok {
			return false
		}
		d.ws()
		d.i++ // ':'
		v, ok := d.str(item, base)
		if !ok {
			return false
		}
		(*m)[k] = v
	}
	return true
}

func (d *groupsDecoder) properties(p *ResourceGroupProperties, item *string, base int) bool {
	if d.null() {
		return true
	}
	if d.peek() != '{' {
		return false
	}
	d.i++
	for d.more('}') {
		key, ok := d.key()
		if !ok {
			return false
		}
		switch {
		case string(key) == "provisioningState":
			if d.null() {
				continue
			}
			s, ok := d.str(item, base)
			if !ok {
				return false
			}
			p.ProvisioningState = s
		case foldsTo(key, "provisioningState"):
			return false
		default:
			d.skip()
		}
	}
	return true
}

// foldsTo reports whether key matches one of names case-insensitively, as
// encoding/json matches field names.
func foldsTo(key []byte, names ...string) bool {
	for _, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return true
		}
	}
	return false
}
