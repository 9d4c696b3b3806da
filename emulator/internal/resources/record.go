package resources

import (
	"encoding/json"
	"strings"
	"time"
	"unique"
)

// Record is one stored resource and the unit of persistence. A stored
// Record is never modified: every write replaces it, so a response may
// reference it after the store's lock is released.
type Record struct {
	ID               string            `json:"id"`   // canonical id, casing as first created
	Type             string            `json:"type"` // full type, casing as first created
	Location         string            `json:"location,omitempty"`
	Kind             string            `json:"kind,omitempty"`
	ManagedBy        string            `json:"managedBy,omitempty"`
	Tags             map[string]string `json:"tags,omitempty"`
	SKU              json.RawMessage   `json:"sku,omitempty"`
	Identity         json.RawMessage   `json:"identity,omitempty"`
	Plan             json.RawMessage   `json:"plan,omitempty"`
	ExtendedLocation json.RawMessage   `json:"extendedLocation,omitempty"`
	Zones            json.RawMessage   `json:"zones,omitempty"`
	// Properties is the resource's properties object without
	// provisioningState, which State holds.
	Properties json.RawMessage `json:"properties,omitempty"`
	State      string          `json:"provisioningState"`
	// Listed: a tracked (located) resource that is not an extension, which
	// the /resources listings return (unverified: ARM lists tracked
	// resources only).
	Listed bool `json:"listed,omitempty"`

	CreatedAt     time.Time `json:"createdAt"`
	CreatedBy     string    `json:"createdBy,omitempty"`
	CreatedByType string    `json:"createdByType,omitempty"`
	ChangedAt     time.Time `json:"changedAt"`
	ChangedBy     string    `json:"changedBy,omitempty"`
	ChangedByType string    `json:"changedByType,omitempty"`

	// APIVersion is the api-version of the last write; discovery lists it
	// for types the catalog does not know.
	APIVersion string `json:"apiVersion,omitempty"`

	// Pending is the asynchronous operation running on the resource; it
	// is stored so a restarted emulator finishes it.
	Pending *Pending `json:"pending,omitempty"`
}

// Pending is a running asynchronous PUT or DELETE.
type Pending struct {
	Op    string    `json:"op"` // opPut or opDelete
	ID    string    `json:"id"` // operation id, in the polling URLs
	Start time.Time `json:"start"`
	Until time.Time `json:"until"` // the operation ends (Succeeded) at this instant
}

const (
	opPut    = "put"
	opDelete = "delete"
)

// intern shares the strings most records repeat (type, location,
// api-version, the writer's ids and kinds) instead of keeping a copy per
// record: with 100,000 resources that is most of a megabyte per field.
func (r *Record) intern() {
	for _, p := range []*string{&r.Type, &r.Location, &r.APIVersion, &r.CreatedBy, &r.CreatedByType, &r.ChangedBy, &r.ChangedByType, &r.Kind} {
		if *p != "" {
			*p = unique.Make(*p).Value()
		}
	}
}

// Name is the last segment of the id.
func (r *Record) Name() string { return r.ID[strings.LastIndexByte(r.ID, '/')+1:] }

// Key is the lower-case id.
func (r *Record) Key() string { return strings.ToLower(r.ID) }

// deleting reports whether a DELETE is running.
func (r *Record) deleting() bool { return r.Pending != nil && r.Pending.Op == opDelete }

// clone copies r deeply enough to change it: the tags map and the pending
// operation (raw JSON values are never modified in place).
func (r *Record) clone() *Record {
	c := *r
	if r.Tags != nil {
		c.Tags = make(map[string]string, len(r.Tags))
		for k, v := range r.Tags {
			c.Tags[k] = v
		}
	}
	if r.Pending != nil {
		p := *r.Pending
		c.Pending = &p
	}
	return &c
}
