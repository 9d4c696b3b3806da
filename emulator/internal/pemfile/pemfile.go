// Package pemfile reads and writes the PEM files the emulator keeps (the
// CA, the token-signing key) atomically, and draws certificate serials.
package pemfile

import (
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
)

// Serial is a random positive certificate serial number.
func Serial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("emulator: random serial: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

// Write stores der as one PEM block of type typ at path with mode.
func Write(path, typ string, der []byte, mode os.FileMode) error {
	return WriteAtomic(path, Encode(typ, der), mode)
}

// Read returns the DER of the PEM block of type typ in path. A missing
// file is reported as os.ErrNotExist.
func Read(path, typ string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(data)
	if b == nil || b.Type != typ {
		return nil, fmt.Errorf("emulator: %s holds no %s PEM block (delete it to regenerate)", path, typ)
	}
	return b.Bytes, nil
}

// Encode is der as a PEM block of type typ.
func Encode(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// WriteAtomic writes data to path through a temporary file and a rename,
// so a reader never sees a half-written file.
func WriteAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("emulator: writing %s: %w", path, err)
	}
	name := tmp.Name()
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr, os.Chmod(name, mode)); err != nil {
		_ = os.Remove(name)
		return fmt.Errorf("emulator: writing %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		_ = os.Remove(name)
		return fmt.Errorf("emulator: writing %s: %w", path, err)
	}
	return nil
}
