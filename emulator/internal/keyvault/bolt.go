package keyvault

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// BoltFile is the state file of vaults and secrets under the state
// directory. It holds secret values in the clear, so it is created 0600
// in a 0700 directory; it is the emulator's, not a safe.
const BoltFile = "keyvault.db"

var (
	bucketVaults  = []byte("vaults")
	bucketSecrets = []byte("secrets")
)

// Bolt persists vaults and secrets in BoltFile; it implements Persister
// and VaultPersister. Every write is one fsynced transaction.
type Bolt struct{ db *bolt.DB }

// OpenBolt opens (or creates) dir/keyvault.db.
func OpenBolt(dir string) (*Bolt, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("emulator: create state directory %q: %w", dir, err)
	}
	path := filepath.Join(dir, BoltFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("emulator: open %s: the file is locked by another emulator using the same state directory; stop it or choose another state directory", path)
		}
		return nil, fmt.Errorf("emulator: open %s: %w (delete the file to start without vaults)", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketVaults, bucketSecrets} {
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

// Close closes the file.
func (b *Bolt) Close() error { return b.db.Close() }

// secretKey is "vault/name": neither part can hold a "/".
func secretKey(vault, name string) []byte { return []byte(vault + "/" + name) }

// LoadSecrets implements Persister.
func (b *Bolt) LoadSecrets() ([]StoredSecret, error) {
	var out []StoredSecret
	err := b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSecrets).ForEach(func(k, v []byte) error {
			for i, c := range k {
				if c == '/' {
					out = append(out, StoredSecret{Vault: string(k[:i]), Name: string(k[i+1:]), Data: append([]byte(nil), v...)})
					return nil
				}
			}
			return errors.New("keyvault: a secret key in the state file has no vault part")
		})
	})
	return out, err
}

// PutSecret implements Persister.
func (b *Bolt) PutSecret(vault, name string, data []byte) error {
	return b.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketSecrets).Put(secretKey(vault, name), data) })
}

// DeleteSecret implements Persister.
func (b *Bolt) DeleteSecret(vault, name string) error {
	return b.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketSecrets).Delete(secretKey(vault, name)) })
}

// LoadVaults implements VaultPersister.
func (b *Bolt) LoadVaults() ([][]byte, error) {
	var out [][]byte
	err := b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketVaults).ForEach(func(_, v []byte) error {
			out = append(out, append([]byte(nil), v...))
			return nil
		})
	})
	return out, err
}

// PutVault implements VaultPersister.
func (b *Bolt) PutVault(name string, data []byte) error {
	return b.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketVaults).Put([]byte(name), data) })
}

// DeleteVault implements VaultPersister.
func (b *Bolt) DeleteVault(name string) error {
	return b.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketVaults).Delete([]byte(name)) })
}
