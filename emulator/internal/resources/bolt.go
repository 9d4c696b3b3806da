package resources

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// BoltPersister keeps records in one bucket of a bbolt database (the
// emulator's state file), one JSON value per lower-case id. bbolt commits
// with an fsync, so a batch that Commit returned survives kill -9.
type BoltPersister struct {
	db     *bolt.DB
	bucket []byte
}

// NewBoltPersister uses (creating it if needed) bucket in db; db stays the
// caller's to close.
func NewBoltPersister(db *bolt.DB, bucket string) (*BoltPersister, error) {
	b := []byte(bucket)
	err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(b)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("resources: create bucket %q in %s: %w", bucket, db.Path(), err)
	}
	return &BoltPersister{db: db, bucket: b}, nil
}

// Load implements Persister.
func (p *BoltPersister) Load(fn func(*Record) error) error {
	return p.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(p.bucket).ForEach(func(k, v []byte) error {
			var r Record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("record %q in %s: %w (delete the state file to start from the config again)", k, p.db.Path(), err)
			}
			return fn(&r)
		})
	})
}

// Commit implements Persister: one bbolt transaction.
func (p *BoltPersister) Commit(b Batch) error {
	return p.db.Update(func(tx *bolt.Tx) error {
		if b.Clear {
			if err := tx.DeleteBucket(p.bucket); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(p.bucket); err != nil {
				return err
			}
		}
		bk := tx.Bucket(p.bucket)
		for _, k := range b.Delete {
			if err := bk.Delete([]byte(k)); err != nil {
				return err
			}
		}
		for _, r := range b.Put {
			v, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if err := bk.Put([]byte(r.Key()), v); err != nil {
				return err
			}
		}
		return nil
	})
}
