package tlsca

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCAPersistsAndLeafVerifies(t *testing.T) {
	dir := t.TempDir()
	m1, err := New(Options{StateDir: dir, ExtraHostnames: []string{"arm.test", "10.1.2.3"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := m1.WriteCAFile(dir); err != nil {
		t.Fatal(err)
	}
	if m1.CAPath != filepath.Join(dir, "ca.pem") {
		t.Errorf("CAPath = %s", m1.CAPath)
	}
	m2, err := New(Options{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m1.CAPEM, m2.CAPEM) {
		t.Error("the CA changed across New calls on one state directory")
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(m1.CAPEM)
	leaf, err := x509.ParseCertificate(m1.Leaf.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"127.0.0.1", "localhost", "arm.test", "10.1.2.3"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: name}); err != nil {
			t.Errorf("leaf for %s: %v", name, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "ca-key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("ca-key.pem: %v %v", fi, err)
	}
}

func TestSelfSignedThumbprint(t *testing.T) {
	tc, thumb, err := SelfSigned("test")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum(tc.Certificates[0].Certificate[0])
	if thumb != strings.ToUpper(hex.EncodeToString(sum[:])) || len(thumb) != 40 {
		t.Errorf("thumbprint %s", thumb)
	}
}
