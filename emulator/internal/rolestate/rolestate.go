// Package rolestate keeps the emulator's role assignments and custom roles
// in StateDir/rbac.db (bbolt), so they survive restarts with --state. It
// implements roles.Persister; every write returns once committed and
// fsynced, so a role assignment acknowledged to a client survives kill -9.
package rolestate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/azmsi/azmsi/emulator/internal/roles"
)

// FileName is the state file's name in the state directory.
const FileName = "rbac.db"

var (
	bucketAssignments = []byte("roleAssignments")
	bucketDefinitions = []byte("roleDefinitions")
	bucketMeta        = []byte("meta")
	keySeeded         = []byte("seeded")
)

// Bolt is the bbolt-backed roles.Persister.
type Bolt struct {
	db *bolt.DB
}

var _ roles.Persister = (*Bolt)(nil)

// Open opens (creating if needed) dir/rbac.db. A second emulator on the
// same directory fails after a short wait instead of blocking.
func Open(dir string) (*Bolt, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("emulator: create state directory %q: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("emulator: open %s: the file is locked by another emulator using the same state directory; stop it or choose another state directory (azmsi emulator --state DIR, Options.StateDir)", path)
		}
		return nil, fmt.Errorf("emulator: open %s: %w (delete the file to start from the config's role assignments again)", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketAssignments, bucketDefinitions, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("emulator: initialise %s: %w", path, err)
	}
	return &Bolt{db: db}, nil
}

// Load returns the stored custom roles and assignments, and whether the
// file was ever seeded from a configuration.
func (b *Bolt) Load() (defs []roles.Definition, as []roles.Assignment, seeded bool, err error) {
	err = b.db.View(func(tx *bolt.Tx) error {
		seeded = tx.Bucket(bucketMeta).Get(keySeeded) != nil
		if err := tx.Bucket(bucketDefinitions).ForEach(func(k, v []byte) error {
			var d roles.Definition
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("role definition %q: %w", k, err)
			}
			defs = append(defs, d)
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketAssignments).ForEach(func(k, v []byte) error {
			var a roles.Assignment
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("role assignment %q: %w", k, err)
			}
			as = append(as, a)
			return nil
		})
	})
	if err != nil {
		return nil, nil, false, fmt.Errorf("emulator: read %s: %w (delete the file to start from the config's role assignments again)", b.db.Path(), err)
	}
	return defs, as, seeded, nil
}

// MarkSeeded records that the configuration's assignments were loaded, so a
// restart keeps the API's changes instead of seeding again.
func (b *Bolt) MarkSeeded() error {
	return b.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySeeded, []byte("1")) })
}

// Clear drops every assignment and custom role and the seeded mark (the
// emulator's reset).
func (b *Bolt) Clear() error {
	return b.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketAssignments, bucketDefinitions, bucketMeta} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return nil
	})
}

func (b *Bolt) put(bucket []byte, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte(key), data) })
}

func (b *Bolt) del(bucket []byte, key string) error {
	return b.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Delete([]byte(key)) })
}

func (b *Bolt) PutAssignment(a roles.Assignment) error {
	return b.put(bucketAssignments, a.Name, a)
}
func (b *Bolt) DeleteAssignment(name string) error { return b.del(bucketAssignments, name) }
func (b *Bolt) PutDefinition(d roles.Definition) error {
	return b.put(bucketDefinitions, d.Name, d)
}
func (b *Bolt) DeleteDefinition(name string) error { return b.del(bucketDefinitions, name) }

// Close closes the file; later writes fail.
func (b *Bolt) Close() error { return b.db.Close() }
