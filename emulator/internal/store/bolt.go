package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

var (
	boltGroups = []byte("groups")
	boltMeta   = []byte("meta")
	boltSeeded = []byte("seeded")
)

// Bolt keeps resource groups in StateDir/arm.db. bbolt commits with an
// fsync, so a write acknowledged to a client survives kill -9.
type Bolt struct {
	db *bolt.DB
}

// OpenBolt opens (creating if needed) dir/arm.db. A second emulator on
// the same directory fails after a short wait instead of blocking forever.
func OpenBolt(dir string) (*Bolt, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("emulator: create state directory %q: %w", dir, err)
	}
	path := filepath.Join(dir, "arm.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("emulator: open %s: the file is locked by another emulator using the same state directory; stop it or choose another state directory (azmsi emulator --state DIR, Options.StateDir)", path)
		}
		return nil, fmt.Errorf("emulator: open %s: %w (delete the file to start from the config again)", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(boltGroups); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(boltMeta)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("emulator: initialise %s: %w", path, err)
	}
	return &Bolt{db: db}, nil
}

func (b *Bolt) Load() ([]Group, bool, error) {
	var out []Group
	var seeded bool
	err := b.db.View(func(tx *bolt.Tx) error {
		seeded = tx.Bucket(boltMeta).Get(boltSeeded) != nil
		return tx.Bucket(boltGroups).ForEach(func(k, v []byte) error {
			var g Group
			if err := json.Unmarshal(v, &g); err != nil {
				return fmt.Errorf("group %q: %w", k, err)
			}
			out = append(out, g)
			return nil
		})
	})
	if err != nil {
		return nil, false, fmt.Errorf("emulator: read %s: %w (delete the file to start from the config again)", b.db.Path(), err)
	}
	return out, seeded, nil
}

func (b *Bolt) Put(g Group) error {
	v, err := json.Marshal(g)
	if err != nil {
		return err
	}
	return b.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(boltGroups).Put([]byte(Key(g.SubscriptionID, g.Name)), v)
	})
}

func (b *Bolt) Delete(sub, name string) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(boltGroups).Delete([]byte(Key(sub, name)))
	})
}

func (b *Bolt) Replace(groups []Group) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(boltGroups); err != nil {
			return err
		}
		bk, err := tx.CreateBucket(boltGroups)
		if err != nil {
			return err
		}
		for _, g := range groups {
			v, err := json.Marshal(g)
			if err != nil {
				return err
			}
			if err := bk.Put([]byte(Key(g.SubscriptionID, g.Name)), v); err != nil {
				return err
			}
		}
		return tx.Bucket(boltMeta).Put(boltSeeded, []byte("1"))
	})
}

func (b *Bolt) Close() error { return b.db.Close() }

// DB is the open database, for other services that keep their state in
// buckets of the same file (the generic ARM resources); the Bolt store
// still owns and closes it.
func (b *Bolt) DB() *bolt.DB { return b.db }
