package apiversion

import "testing"

func TestParseAndCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"2025-04-01", "2024-11-01", 1},
		{"2025-08-01-preview", "2025-08-01", -1},
		{"2025-08-01-Preview", "2025-08-01-preview", 0},
		{"2025-08-01-alpha", "2025-08-01-beta", -1},
		{"2016-06-01", "2016-06-01", 0},
	}
	for _, tc := range tests {
		if got := MustParse(tc.a).Compare(MustParse(tc.b)); got != tc.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	for _, bad := range []string{"", "2025", "2025-4-01", "2025-04-01-", "2025-04-01preview", "2025-13-01", "2025-04-01-pre-view", "2025-04-01-" + "abcdefghijklmnopqrstu", "２０２５-04-01"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
	if s := MustParse("2025-08-01-PREVIEW").String(); s != "2025-08-01-preview" {
		t.Errorf("String = %s", s)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"2025-04-01", "2025-08-01-preview", "2025-02-30", "x", "2025-04-01-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		// Round trip: the canonical form parses to the same version.
		w, err := Parse(v.String())
		if err != nil || w.Compare(v) != 0 {
			t.Fatalf("Parse(%q) = %v; String %q does not round-trip (%v)", s, v, v.String(), err)
		}
		if len(s) != len(v.String()) {
			t.Fatalf("Parse(%q) accepted extra text: %q", s, v.String())
		}
	})
}
