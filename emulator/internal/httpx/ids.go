package httpx

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"strconv"
)

// NewGUID returns a random version-4 GUID.
func NewGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// RandomSecret is a fresh 128-bit secret in hex.
func RandomSecret() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("emulator: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// SecretEqual compares a presented secret in constant time.
func SecretEqual(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// Clip bounds attacker-controlled text echoed in a message.
func Clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// Epoch is n as a string of decimal digits, as the token bodies send
// numbers.
func Epoch(n int64) string { return strconv.FormatInt(n, 10) }
