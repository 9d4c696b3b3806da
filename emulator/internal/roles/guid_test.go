package roles

import "testing"

func TestParseGUID(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"acdd72a7-3385-48ef-bd42-f606fba81ae7", "acdd72a7-3385-48ef-bd42-f606fba81ae7", true},
		{"ACDD72A7-3385-48EF-BD42-F606FBA81AE7", "acdd72a7-3385-48ef-bd42-f606fba81ae7", true},
		{"{acdd72a7-3385-48ef-bd42-f606fba81ae7}", "", false},
		{"acdd72a7338548efbd42f606fba81ae7", "", false},
		{"acdd72a7-3385-48ef-bd42-f606fba81ae", "", false},
		{"acdd72a7-3385-48ef-bd42_f606fba81ae7", "", false},
		{"gcdd72a7-3385-48ef-bd42-f606fba81ae7", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := ParseGUID(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseGUID(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNameForIsStableAndDistinct(t *testing.T) {
	a := NameFor("web", "/subscriptions/s", "Reader")
	if a != NameFor("web", "/subscriptions/s", "Reader") {
		t.Fatal("NameFor is not stable")
	}
	if a == NameFor("web", "/subscriptions/s", "Owner") || a == NameFor("we", "b/subscriptions/s", "Reader") {
		t.Fatal("NameFor collides for different parts")
	}
	if g, ok := ParseGUID(a); !ok || g != a || a[14] != '5' {
		t.Fatalf("NameFor = %q, not a lower-case version-5 GUID", a)
	}
}
