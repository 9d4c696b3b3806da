package roles

import (
	"strings"
	"testing"
)

func TestParseFilter(t *testing.T) {
	all := append(append([]string{}, assignmentTerms...), definitionTerms...)
	tests := []struct {
		in     string
		want   filter
		errHas string
	}{
		{in: "", want: filter{}},
		{in: "atScope()", want: filter{atScope: true}},
		{in: " atscope ( ) ", want: filter{atScope: true}},
		{in: "assignedTo('DDDDDDDD-0000-4000-8000-000000000004')", want: filter{assignedTo: uamiOID}},
		{in: "atScope() and assignedTo('dddddddd-0000-4000-8000-000000000004')", want: filter{atScope: true, assignedTo: uamiOID}},
		{in: "principalId eq 'dddddddd-0000-4000-8000-000000000004'", want: filter{principalID: uamiOID}},
		{in: "roleName eq 'Key Vault Secrets User'", want: filter{roleName: "Key Vault Secrets User"}},
		{in: "roleName eq 'O''Brien''s role'", want: filter{roleName: "O'Brien's role"}},
		{in: "type eq 'builtinrole'", want: filter{roleType: BuiltInRole}},
		{in: "type eq 'CustomRole' AND atScopeAndBelow()", want: filter{roleType: CustomRole, atScopeAndBelow: true}},
		{in: "type eq 'Other'", errHas: "'BuiltInRole' or 'CustomRole'"},
		{in: "roleName ne 'x'", errHas: "only 'eq'"},
		{in: "roleName eq 'x", errHas: "not closed"},
		{in: "roleName eq x", errHas: "expected '\\''"},
		{in: "assignedTo('web')", errHas: "GUID"},
		{in: "principalId eq 'web'", errHas: "GUID"},
		{in: "atScope", errHas: "expected '('"},
		{in: "atScope() or atScope()", errHas: "expected 'and'"},
		{in: "atScope() and", errHas: "ends where a term"},
		{in: "atScope() and atScope()", errHas: "twice"},
		{in: "startswith(roleName,'x')", errHas: "unknown $filter term"},
		{in: "(atScope())", errHas: "unexpected '('"},
		{in: "assignedTo('dddddddd-0000-4000-8000-000000000004') and principalId eq 'eeeeeeee-0000-4000-8000-000000000005'", errHas: "two different principals"},
		{in: strings.Repeat(" ", maxFilterLen+1), errHas: "at most"},
	}
	for _, tt := range tests {
		got, err := parseFilter(tt.in, all)
		if tt.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("parseFilter(%q) error = %v; want one containing %q", tt.in, err, tt.errHas)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseFilter(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseFilterOnlyAllowedTerms(t *testing.T) {
	if _, err := parseFilter("roleName eq 'Reader'", assignmentTerms); err == nil || !strings.Contains(err.Error(), "not supported here") {
		t.Fatalf("roleName on assignments: %v", err)
	}
	if _, err := parseFilter("atScope()", definitionTerms); err == nil || !strings.Contains(err.Error(), "atScopeAndBelow()") {
		t.Fatalf("atScope on definitions: %v (the error should list what is supported)", err)
	}
}
