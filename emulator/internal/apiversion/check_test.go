package apiversion

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

var testLocations = []string{"East US", "West Europe"}

func TestCheck(t *testing.T) {
	c := MustBuiltin(testLocations)
	tests := []struct {
		name, typ, version string
		strict             bool
		behavesAs          string // "" = refused
		code               string
	}{
		{"groups newest (Go armresources/v3, JS arm-resources 8)", "Microsoft.Resources/resourceGroups", "2025-04-01", false, "2025-04-01", ""},
		{"groups old pin (armresources v1)", "Microsoft.Resources/resourceGroups", "2021-04-01", false, "2021-04-01", ""},
		{"groups preview listed", "Microsoft.Resources/resourceGroups", "2025-08-01-preview", false, "2025-08-01-preview", ""},
		{"groups case-insensitive type and label", "microsoft.resources/RESOURCEGROUPS", "2025-08-01-PREVIEW", false, "2025-08-01-preview", ""},
		{"groups future version behaves as newest", "Microsoft.Resources/resourceGroups", "2099-01-01", false, "2025-04-01", ""},
		{"groups future stable after preview", "Microsoft.Resources/resourceGroups", "2025-09-01", false, "2025-04-01", ""},
		{"groups future preview behaves as newest preview", "Microsoft.Resources/resourceGroups", "2026-01-01-preview", false, "2025-08-01-preview", ""},
		{"groups between two known", "Microsoft.Resources/resourceGroups", "2021-02-01", false, "2021-01-01", ""},
		{"groups future refused when strict", "Microsoft.Resources/resourceGroups", "2099-01-01", true, "", "InvalidApiVersionParameter"},
		{"groups between refused when strict", "Microsoft.Resources/resourceGroups", "2021-02-01", true, "", "InvalidApiVersionParameter"},
		{"groups listed when strict", "Microsoft.Resources/resourceGroups", "2024-11-01", true, "2024-11-01", ""},
		{"groups older than oldest", "Microsoft.Resources/resourceGroups", "2014-01-01", false, "", "InvalidApiVersionParameter"},
		{"malformed", "Microsoft.Resources/resourceGroups", "latest", false, "", "InvalidApiVersionParameter"},
		{"bad date", "Microsoft.Resources/resourceGroups", "2025-02-30", false, "", "InvalidApiVersionParameter"},
		{"bad label", "Microsoft.Resources/resourceGroups", "2025-04-01-pre view", false, "", "InvalidApiVersionParameter"},
		{"subscriptions newest (armsubscriptions/v2)", "Microsoft.Resources/subscriptions", "2022-12-01", false, "2022-12-01", ""},
		{"providers by azcore registration", "Microsoft.Resources/providers", "2019-05-01", true, "2019-05-01", ""},
		{"resources list by armkeyvault", "Microsoft.Resources/resources", "2015-11-01", true, "2015-11-01", ""},
		{"role assignments (armauthorization/v2)", "Microsoft.Authorization/roleAssignments", "2022-04-01", true, "2022-04-01", ""},
		{"role definitions", "Microsoft.Authorization/roleDefinitions", "2022-04-01", true, "2022-04-01", ""},
		{"vaults (armkeyvault v1.5.0)", "Microsoft.KeyVault/vaults", "2024-11-01", true, "2024-11-01", ""},
		{"vaults (@azure/arm-keyvault 5.0.0)", "Microsoft.KeyVault/vaults", "2026-02-01", true, "2026-02-01", ""},
		{"vaults too old is an RP refusal", "Microsoft.KeyVault/vaults", "2010-01-01", false, "", "NoRegisteredProviderFound"},
		{"uami (armmsi v1.3.0)", "Microsoft.ManagedIdentity/userAssignedIdentities", "2024-11-30", true, "2024-11-30", ""},
		{"fic not in 2018-11-30", "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials", "2018-11-30", false, "", "NoRegisteredProviderFound"},
		{"unknown type any well-formed version", "Contoso.Widgets/widgets", "2024-01-01", false, "2024-01-01", ""},
		{"unknown type malformed", "Contoso.Widgets/widgets", "v1", false, "", "InvalidApiVersionParameter"},
		{"unknown type too old", "Contoso.Widgets/widgets", "2001-01-01", false, "", "InvalidApiVersionParameter"},
		{"unknown type strict", "Contoso.Widgets/widgets", "2024-01-01", true, "", "NoRegisteredProviderFound"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, ref := NewChecker(c, tc.strict, nil).Check(tc.typ, tc.version, "eastus")
			if tc.behavesAs == "" {
				if ref == nil || ref.Code != tc.code {
					t.Fatalf("Check(%s, %s) = %+v, %v; want refusal %s", tc.typ, tc.version, res, ref, tc.code)
				}
				return
			}
			if ref != nil || res.BehavesAs != tc.behavesAs || res.Version != tc.version {
				t.Fatalf("Check(%s, %s) = %+v, %v; want behaves as %s", tc.typ, tc.version, res, ref, tc.behavesAs)
			}
		})
	}
}

func TestRefusalMessages(t *testing.T) {
	k := NewChecker(MustBuiltin(testLocations), false, nil)
	_, ref := k.Check("Microsoft.Resources/subscriptions", "2001-01-01", "")
	want := "The api-version '2001-01-01' is invalid. The supported versions are '2022-12-01,2021-01-01,2020-01-01,2019-11-01,2019-06-01,2018-06-01,2016-06-01'."
	if ref == nil || ref.Message != want {
		t.Fatalf("message = %v\nwant %s", ref, want)
	}
	_, ref = k.Check("Microsoft.KeyVault/vaults", "2001-01-01", "eastus")
	for _, part := range []string{"location 'eastus'", "API version '2001-01-01'", "type 'Microsoft.KeyVault/vaults'", "'2026-04-01, 2026-02-01, 2025-05-01, 2024-11-01,", "locations are 'East US, West Europe'"} {
		if ref == nil || !strings.Contains(ref.Message, part) {
			t.Errorf("NoRegisteredProviderFound message %v lacks %q", ref, part)
		}
	}
	_, ref = k.Check("Microsoft.Resources/resourceGroups", "x\x00y"+strings.Repeat("z", 200), "")
	if ref == nil || strings.ContainsRune(ref.Message, 0) || strings.Contains(ref.Message, strings.Repeat("z", 100)) {
		t.Errorf("echoed version is not clipped and sanitised: %q", ref)
	}
}

func TestNewerVersionLoggedOnce(t *testing.T) {
	var buf bytes.Buffer
	k := NewChecker(MustBuiltin(testLocations), false, slog.New(slog.NewTextHandler(&buf, nil)))
	for range 3 {
		if _, ref := k.Check("Microsoft.Resources/resourceGroups", "2030-01-01", ""); ref != nil {
			t.Fatal(ref)
		}
	}
	if _, ref := k.Check("Microsoft.Resources/resourceGroups", "2025-04-01", ""); ref != nil {
		t.Fatal(ref)
	}
	out := buf.String()
	if n := strings.Count(out, "behavesAs=2025-04-01"); n != 1 || !strings.Contains(out, "apiVersion=2030-01-01") {
		t.Fatalf("want exactly one log line for 2030-01-01, got:\n%s", out)
	}
	// The log-once set is bounded; versions past the bound are still served.
	for i := range maxLogged + 10 {
		v := "2031-01-01-x" + strings.Repeat("a", i%19+1)
		if _, ref := k.Check("Contoso.A/b"+string(rune('a'+i%26))+strings.Repeat("c", i/26), v, ""); ref != nil {
			t.Fatal(ref)
		}
		if _, ref := k.Check("Microsoft.KeyVault/vaults", "2040-01-"+twoDigits(i%28+1)+"-p"+strings.Repeat("q", i%19+1), ""); ref != nil {
			t.Fatal(ref)
		}
	}
	if len(k.logged) > maxLogged {
		t.Fatalf("log-once set grew to %d entries (bound %d)", len(k.logged), maxLogged)
	}
}

func twoDigits(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }

func TestBuiltinTables(t *testing.T) {
	c := MustBuiltin(testLocations)
	rg, ok := c.Lookup("microsoft.resources/resourcegroups")
	if !ok || rg.Newest() != "2025-08-01-preview" || rg.Default() != "2025-04-01" || !rg.Tracked {
		t.Fatalf("resource groups: %+v", rg)
	}
	for _, want := range []string{"2025-04-01", "2024-11-01", "2021-04-01", "2019-08-01"} {
		found := false
		for _, v := range rg.Versions {
			found = found || v == want
		}
		if !found {
			t.Errorf("resource groups lack %s", want)
		}
	}
	for _, ns := range c.Namespaces() {
		for _, ty := range ns.Types {
			for i := 1; i < len(ty.parsed); i++ {
				if ty.parsed[i-1].Compare(ty.parsed[i]) <= 0 {
					t.Errorf("%s/%s: versions not newest first: %v", ns.Name, ty.Name, ty.Versions)
				}
			}
		}
	}
	if _, ok := c.Namespace("MICROSOFT.KEYVAULT"); !ok {
		t.Error("namespace lookup is not case-insensitive")
	}
}

func TestCatalogExtraTypes(t *testing.T) {
	c, err := Builtin(testLocations, Namespace{Name: "microsoft.keyvault", Types: []Type{{Name: "vaults", Versions: []string{"2027-01-01"}}}},
		Namespace{Name: "Contoso.Widgets", Types: []Type{{Name: "widgets", Versions: []string{"2024-01-01", "2023-01-01"}, Tracked: true}}})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := c.Lookup("Microsoft.KeyVault/vaults")
	if v.Newest() != "2027-01-01" || v.Versions[1] != "2026-04-01" {
		t.Fatalf("merged vault versions = %v", v.Versions)
	}
	w, ok := c.Lookup("contoso.widgets/WIDGETS")
	if !ok || w.Newest() != "2024-01-01" {
		t.Fatalf("extra type: %+v %v", w, ok)
	}
	if _, ref := NewChecker(c, true, nil).Check("Contoso.Widgets/widgets", "2023-01-01", ""); ref != nil {
		t.Fatalf("strict refuses a configured version: %v", ref)
	}
	if _, err := Builtin(nil, Namespace{Name: "X.Y", Types: []Type{{Name: "t", Versions: []string{"bad"}}}}); err == nil {
		t.Fatal("a malformed configured version was accepted")
	}
	if _, err := Builtin(nil, Namespace{Name: "X.Y", Types: []Type{{Name: "t"}}}); err == nil {
		t.Fatal("a type without versions was accepted")
	}
}
