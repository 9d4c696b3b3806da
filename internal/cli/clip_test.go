package cli

import (
	"testing"
	"unicode/utf8"
)

func TestClipTo(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijkl", 4, "abcd… (12 bytes)"},
		{"ééé", 3, "é… (6 bytes)"}, // never cuts inside a rune
		{"abc", 0, "… (3 bytes)"},
	} {
		got := clipTo(tc.in, tc.n)
		if got != tc.want {
			t.Errorf("clipTo(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("clipTo(%q, %d) = %q: invalid UTF-8", tc.in, tc.n, got)
		}
	}
}
