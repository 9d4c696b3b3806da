package azhttp

import "unicode/utf8"

// Clip shortens s to at most n bytes plus "…" when it is longer, so that a
// long URL, ID or server message cannot flood an error. It cuts on a rune
// boundary, so valid UTF-8 stays valid. A negative n counts as 0.
func Clip(s string, n int) string {
	n = max(n, 0)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
