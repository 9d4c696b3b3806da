package pemfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteRead(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k.pem")
	if err := Write(p, "PRIVATE KEY", []byte{1, 2, 3}, 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode: %v %v", fi, err)
	}
	der, err := Read(p, "PRIVATE KEY")
	if err != nil || !bytes.Equal(der, []byte{1, 2, 3}) {
		t.Fatalf("Read = %v %v", der, err)
	}
	if _, err := Read(p, "CERTIFICATE"); err == nil || !strings.Contains(err.Error(), "no CERTIFICATE PEM block") {
		t.Errorf("wrong type: %v", err)
	}
	if _, err := Read(p+".missing", "CERTIFICATE"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(p), ".tmp-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestSerial(t *testing.T) {
	a, err := Serial()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Serial()
	if a.Sign() <= 0 || a.Cmp(b) == 0 {
		t.Errorf("serials %v %v", a, b)
	}
}
