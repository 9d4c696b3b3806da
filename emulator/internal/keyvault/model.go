package keyvault

import (
	"log/slog"
	"strings"
)

// secretValue is a secret's value. It prints as "[redacted]" in fmt and
// slog, so a value that reaches a log line by mistake says nothing; JSON
// encoding (the persisted record, a get response) still carries it.
type secretValue string

func (secretValue) String() string       { return "[redacted]" }
func (secretValue) GoString() string     { return "[redacted]" }
func (secretValue) LogValue() slog.Value { return slog.StringValue("[redacted]") }
func (v secretValue) reveal() string     { return string(v) }

// secretVersion is one immutable-value version of a secret (attributes
// change in place only on a copy, see store.update).
type secretVersion struct {
	Version     string            `json:"version"`
	Value       secretValue       `json:"value"`
	ContentType string            `json:"contentType,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Enabled     bool              `json:"enabled"`
	NotBefore   *int64            `json:"nbf,omitempty"`
	Expires     *int64            `json:"exp,omitempty"`
	Created     int64             `json:"created"`
	Updated     int64             `json:"updated"`
}

// secretRecord is every version of one secret and its deleted state. A
// record installed in the store is never mutated; writers install a copy.
type secretRecord struct {
	Name               string          `json:"name"` // as first created
	Versions           []secretVersion `json:"versions"`
	Deleted            bool            `json:"deleted,omitempty"`
	DeletedDate        int64           `json:"deletedDate,omitempty"`
	ScheduledPurgeDate int64           `json:"scheduledPurgeDate,omitempty"`
}

func (s *secretRecord) latest() *secretVersion { return &s.Versions[len(s.Versions)-1] }

// version finds a version by id (case-insensitive).
func (s *secretRecord) version(id string) (*secretVersion, bool) {
	for i := range s.Versions {
		if strings.EqualFold(s.Versions[i].Version, id) {
			return &s.Versions[i], true
		}
	}
	return nil, false
}

// clone copies the record deeply enough for a writer to change it.
func (s *secretRecord) clone() *secretRecord {
	c := *s
	c.Versions = append([]secretVersion(nil), s.Versions...)
	return &c
}

// expired: a deleted secret past its scheduled purge date is gone.
func (s *secretRecord) expired(now int64) bool {
	return s.Deleted && now >= s.ScheduledPurgeDate
}

// Wire shapes (spec SecretBundle, SecretItem, DeletedSecretBundle,
// DeletedSecretItem). Times are Unix seconds.

type attributesOut struct {
	Enabled         bool   `json:"enabled"`
	NotBefore       *int64 `json:"nbf,omitempty"`
	Expires         *int64 `json:"exp,omitempty"`
	Created         int64  `json:"created"`
	Updated         int64  `json:"updated"`
	RecoveryLevel   string `json:"recoveryLevel"`
	RecoverableDays int    `json:"recoverableDays"`
}

type bundleOut struct {
	Value              *string           `json:"value,omitempty"`
	ID                 string            `json:"id"`
	ContentType        string            `json:"contentType,omitempty"`
	Attributes         attributesOut     `json:"attributes"`
	Tags               map[string]string `json:"tags"`
	RecoveryID         string            `json:"recoveryId,omitempty"`
	DeletedDate        *int64            `json:"deletedDate,omitempty"`
	ScheduledPurgeDate *int64            `json:"scheduledPurgeDate,omitempty"`
}

type pageOut struct {
	Value    []bundleOut `json:"value"`
	NextLink *string     `json:"nextLink"`
}

type attributesIn struct {
	Enabled   *bool  `json:"enabled"`
	NotBefore *int64 `json:"nbf"`
	Expires   *int64 `json:"exp"`
}

type setIn struct {
	Value       *string           `json:"value"`
	ContentType *string           `json:"contentType"`
	Tags        map[string]string `json:"tags"`
	Attributes  *attributesIn     `json:"attributes"`
}

type updateIn struct {
	ContentType *string           `json:"contentType"`
	Tags        map[string]string `json:"tags"`
	Attributes  *attributesIn     `json:"attributes"`
}
