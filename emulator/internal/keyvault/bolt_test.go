package keyvault

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBoltKeepsVaultsAndSecrets(t *testing.T) {
	dir := t.TempDir()
	b, err := OpenBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	ve := newVaultEnv(t, nil)
	ve.store = nil
	svc, err := NewVaultService(VaultServiceOptions{Auth: fakeARMAuth{}, Authz: fakeARMAuthz{}, Versions: ve.svc.o.Versions,
		GroupExists: ve.svc.o.GroupExists, Persister: b, Now: ve.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ve.svc = svc
	mustStatus(t, ve.do("PUT", kvPath+armNew, ownerOID, armBody), 201)
	e := newEnv(t, func(o *Options) { o.Vaults, o.Store = svc, b })
	e.set(base+"/secrets/db-password"+av, "s3cr3t")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, BoltFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file %v %v", fi, err)
	}

	b2, err := OpenBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if _, err := OpenBolt(dir); err == nil || !strings.Contains(err.Error(), "locked by another emulator") {
		t.Errorf("second open: %v", err)
	}
	svc2, err := NewVaultService(VaultServiceOptions{Auth: fakeARMAuth{}, Authz: fakeARMAuthz{}, Versions: ve.svc.o.Versions, GroupExists: ve.svc.o.GroupExists, Persister: b2})
	if err != nil {
		t.Fatal(err)
	}
	e2 := newEnv(t, func(o *Options) { o.Vaults, o.Store = svc2, b2 })
	r := e2.do("GET", base+"/secrets/db-password"+av, tokOwner, nil)
	mustStatus(t, r, 200)
	if r.json(t)["value"] != "s3cr3t" {
		t.Errorf("after reopening: %s", r.body)
	}
	if err := e2.h.PurgeVault("kv1"); err != nil {
		t.Fatal(err)
	}
	if recs, _ := b2.LoadSecrets(); len(recs) != 0 {
		t.Errorf("secrets after purge: %d", len(recs))
	}
}
