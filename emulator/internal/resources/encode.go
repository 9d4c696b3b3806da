package resources

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"
)

// Resources encode themselves without reflection: a list page of 100
// resources is the hottest answer, and each resource's list form is
// encoded once per write and kept (entry.list). The output is what
// encoding/json would write for the same fields (encode_test.go checks).

// listForm selects the fields of a list item.
type listForm struct {
	noTags bool // $filter by tag: ARM omits tags (§20.4)
	// $expand=createdTime,changedTime,provisioningState
	created, changed, state bool
}

func (f listForm) plain() bool { return !f.noTags && !f.created && !f.changed && !f.state }

// appendList appends the GenericResourceExpanded form: no properties.
func (r *Record) appendList(b []byte, f listForm) []byte {
	b = r.appendHead(b, !f.noTags)
	if f.created {
		b = append(b, `,"createdTime":`...)
		b = appendTime(b, r.CreatedAt)
	}
	if f.changed {
		b = append(b, `,"changedTime":`...)
		b = appendTime(b, r.ChangedAt)
	}
	if f.state {
		b = append(b, `,"provisioningState":`...)
		b = appendString(b, r.State)
	}
	return append(b, '}')
}

// appendFull appends the resource as GET returns it.
func (r *Record) appendFull(b []byte) []byte {
	b = r.appendHead(b, true)
	b = append(b, `,"properties":{"provisioningState":`...)
	b = appendString(b, r.State)
	if len(r.Properties) > 2 { // more than "{}"
		b = append(b, ',')
		b = append(b, r.Properties[1:]...) // the members and the closing brace
	} else {
		b = append(b, '}')
	}
	b = append(b, `,"systemData":{"createdBy":`...)
	b = appendString(b, r.CreatedBy)
	b = append(b, `,"createdByType":`...)
	b = appendString(b, r.CreatedByType)
	b = append(b, `,"createdAt":`...)
	b = appendTime(b, r.CreatedAt)
	b = append(b, `,"lastModifiedBy":`...)
	b = appendString(b, r.ChangedBy)
	b = append(b, `,"lastModifiedByType":`...)
	b = appendString(b, r.ChangedByType)
	b = append(b, `,"lastModifiedAt":`...)
	b = appendTime(b, r.ChangedAt)
	return append(b, "}}"...)
}

// appendHead appends '{' and the members common to both forms.
func (r *Record) appendHead(b []byte, tags bool) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, r.ID)
	b = append(b, `,"name":`...)
	b = appendString(b, r.Name())
	b = append(b, `,"type":`...)
	b = appendString(b, r.Type)
	if r.Location != "" {
		b = append(b, `,"location":`...)
		b = appendString(b, r.Location)
	}
	if tags && (r.Tags != nil || r.Location != "") {
		b = append(b, `,"tags":`...)
		b = appendTags(b, r.Tags)
	}
	if r.Kind != "" {
		b = append(b, `,"kind":`...)
		b = appendString(b, r.Kind)
	}
	if r.ManagedBy != "" {
		b = append(b, `,"managedBy":`...)
		b = appendString(b, r.ManagedBy)
	}
	b = appendRaw(b, `,"sku":`, r.SKU)
	b = appendRaw(b, `,"identity":`, r.Identity)
	b = appendRaw(b, `,"plan":`, r.Plan)
	b = appendRaw(b, `,"extendedLocation":`, r.ExtendedLocation)
	b = appendRaw(b, `,"zones":`, r.Zones)
	return b
}

func appendRaw(b []byte, member string, raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return b
	}
	return append(append(b, member...), raw...)
}

func appendTags(b []byte, tags map[string]string) []byte {
	b = append(b, '{')
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys) // encoding/json's order
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, tags[k])
	}
	return append(b, '}')
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// plainJSON marks the bytes encoding/json copies unescaped: printable
// ASCII except '"', backslash and the HTML-sensitive '<', '>' and '&'.
var plainJSON = func() (t [256]bool) {
	for c := 0x20; c <= 0x7e; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()

// appendString appends s as a JSON string, escaping exactly as
// encoding/json does (anything unusual goes through it).
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !plainJSON[s[i]] {
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
