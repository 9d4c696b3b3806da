package emulator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.json")
	data, err := os.ReadFile("internal/config/default.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(p)
	if err != nil || c.TenantID != defaultTID {
		t.Fatalf("LoadConfig: %v %v", c, err)
	}
	if _, err := LoadConfig(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"tenantId":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(bad); err == nil || !strings.Contains(err.Error(), "bad.json") || !strings.Contains(err.Error(), "tenantId") {
		t.Errorf("bad file: %v", err)
	}
	// Validate on a hand-built config reports, and does not modify.
	cfg := DefaultConfig()
	cfg.Identities[0].ResourceID = ""
	if err := cfg.Validate(); err != nil || cfg.Identities[0].ResourceID != "" {
		t.Errorf("Validate: %v, modified=%v", err, cfg.Identities[0].ResourceID != "")
	}
	// Start rejects an invalid config with the same message.
	cfg.TenantID = "nope"
	if _, err := Start(t.Context(), Options{Config: cfg}); err == nil || !strings.Contains(err.Error(), "tenantId") {
		t.Errorf("Start with invalid config: %v", err)
	}
}
