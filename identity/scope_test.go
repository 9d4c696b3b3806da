package identity

import (
	"strings"
	"testing"
)

func TestScopeToResource(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"https://management.azure.com/.default", "https://management.azure.com", ""},
		{"https://management.core.windows.net//.default", "https://management.core.windows.net/", ""},
		{"https://management.azure.com/", "https://management.azure.com/", ""},
		{"https://vault.azure.net", "https://vault.azure.net", ""},
		{"api://abc", "api://abc", ""},
		{"", "", "empty scope"},
		{"a/.default b/.default", "", "more than one scope"},
		{"a/.default,b", "", "more than one scope"},
		{"https://x\t", "", "more than one scope"},
		{"/.default", "", "names no resource"},
	}
	for _, tt := range tests {
		got, err := ScopeToResource(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ScopeToResource(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ScopeToResource(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
