package apiversion

import (
	"fmt"
	"strings"
	"time"
)

// Version is a parsed ARM api-version: a calendar date, optionally followed
// by a pre-release label such as "preview" ("2025-08-01-preview").
type Version struct {
	Date  time.Time // midnight UTC
	Label string    // lower case; "" for a stable version
}

// maxLabel bounds the label: real ones are "preview", "privatepreview",
// "beta", "alpha".
const maxLabel = 20

// Parse parses "YYYY-MM-DD" or "YYYY-MM-DD-label" (label: 1 to 20 ASCII
// letters). Anything else is malformed, which ARM refuses whatever the type.
func Parse(s string) (Version, error) {
	if len(s) < 10 {
		return Version{}, fmt.Errorf("api-version %q is not of the form YYYY-MM-DD or YYYY-MM-DD-preview", clip(s))
	}
	d, err := time.Parse(time.DateOnly, s[:10])
	if err != nil {
		return Version{}, fmt.Errorf("api-version %q is not of the form YYYY-MM-DD or YYYY-MM-DD-preview (no such date)", clip(s))
	}
	v := Version{Date: d}
	if rest := s[10:]; rest != "" {
		label, ok := strings.CutPrefix(rest, "-")
		if !ok || label == "" || len(label) > maxLabel || !letters(label) {
			return Version{}, fmt.Errorf("api-version %q is not of the form YYYY-MM-DD or YYYY-MM-DD-preview", clip(s))
		}
		v.Label = strings.ToLower(label)
	}
	return v, nil
}

// MustParse is Parse for the package's own tables.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// Stable reports whether v has no pre-release label.
func (v Version) Stable() bool { return v.Label == "" }

// String is the canonical form (label lower case).
func (v Version) String() string {
	if v.Label == "" {
		return v.Date.Format(time.DateOnly)
	}
	return v.Date.Format(time.DateOnly) + "-" + v.Label
}

// Compare orders by date; on the same date a pre-release comes before the
// stable version it precedes, and labels compare alphabetically.
func (v Version) Compare(o Version) int {
	if c := v.Date.Compare(o.Date); c != 0 {
		return c
	}
	switch {
	case v.Label == o.Label:
		return 0
	case v.Label == "":
		return 1
	case o.Label == "":
		return -1
	}
	return strings.Compare(v.Label, o.Label)
}

func letters(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// clip keeps echoed input short and printable.
func clip(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
