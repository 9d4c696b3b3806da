package resources

import (
	"encoding/json"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/armwire"
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
		b = armwire.AppendString(b, r.State)
	}
	return append(b, '}')
}

// appendFull appends the resource as GET returns it.
func (r *Record) appendFull(b []byte) []byte {
	b = r.appendHead(b, true)
	b = append(b, `,"properties":{"provisioningState":`...)
	b = armwire.AppendString(b, r.State)
	if len(r.Properties) > 2 { // more than "{}"
		b = append(b, ',')
		b = append(b, r.Properties[1:]...) // the members and the closing brace
	} else {
		b = append(b, '}')
	}
	b = append(b, `,"systemData":{"createdBy":`...)
	b = armwire.AppendString(b, r.CreatedBy)
	b = append(b, `,"createdByType":`...)
	b = armwire.AppendString(b, r.CreatedByType)
	b = append(b, `,"createdAt":`...)
	b = appendTime(b, r.CreatedAt)
	b = append(b, `,"lastModifiedBy":`...)
	b = armwire.AppendString(b, r.ChangedBy)
	b = append(b, `,"lastModifiedByType":`...)
	b = armwire.AppendString(b, r.ChangedByType)
	b = append(b, `,"lastModifiedAt":`...)
	b = appendTime(b, r.ChangedAt)
	return append(b, "}}"...)
}

// appendHead appends '{' and the members common to both forms.
func (r *Record) appendHead(b []byte, tags bool) []byte {
	b = append(b, `{"id":`...)
	b = armwire.AppendString(b, r.ID)
	b = append(b, `,"name":`...)
	b = armwire.AppendString(b, r.Name())
	b = append(b, `,"type":`...)
	b = armwire.AppendString(b, r.Type)
	if r.Location != "" {
		b = append(b, `,"location":`...)
		b = armwire.AppendString(b, r.Location)
	}
	if tags && (r.Tags != nil || r.Location != "") {
		b = append(b, `,"tags":`...)
		b = armwire.AppendStringMap(b, r.Tags)
	}
	if r.Kind != "" {
		b = append(b, `,"kind":`...)
		b = armwire.AppendString(b, r.Kind)
	}
	if r.ManagedBy != "" {
		b = append(b, `,"managedBy":`...)
		b = armwire.AppendString(b, r.ManagedBy)
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

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}
