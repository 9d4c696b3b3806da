package roles

import "crypto/sha1"

// ParseGUID checks the 8-4-4-4-12 hexadecimal form Azure uses for role
// definition and role assignment names and returns it in lower case (the
// form ARM answers with). Braces and other spellings are refused: ARM
// rejects them in route names.
func ParseGUID(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	var b [36]byte
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", false
			}
		default:
			switch {
			case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
			case c >= 'A' && c <= 'F':
				c += 'a' - 'A'
			default:
				return "", false
			}
		}
		b[i] = c
	}
	return string(b[:]), true
}

// NameFor derives a stable GUID (a version-5 style UUID from SHA-1) from
// parts, for assignments seeded from configuration: the same entry gets
// the same name on every start, so seeding is idempotent.
func NameFor(parts ...string) string {
	h := sha1.New()
	h.Write([]byte("azmsi-emulator-role-assignment"))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	sum := h.Sum(nil)
	sum[6] = sum[6]&0x0f | 0x50
	sum[8] = sum[8]&0x3f | 0x80
	const hexdigits = "0123456789abcdef"
	var b [36]byte
	j := 0
	for i := 0; i < 16; i++ {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hexdigits[sum[i]>>4], hexdigits[sum[i]&0xf]
		j += 2
	}
	return string(b[:])
}
