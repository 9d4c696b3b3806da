package identity

import (
	"strings"
	"testing"
)

func TestIDValidate(t *testing.T) {
	tests := []struct {
		id      ID
		wantErr []string // substrings; nil = valid
	}{
		{ID{}, nil},
		{ClientID(testCID), nil},
		{ClientID("ABCDEFAB-1111-1111-1111-111111111111"), nil},
		{ObjectID(testOID), nil},
		{ResourceID(testMIID), nil},
		{ResourceID("/SUBSCRIPTIONS/" + testSub + "/resourcegroups/My.Group(1)/PROVIDERS/microsoft.managedidentity/USERASSIGNEDIDENTITIES/my_id-2"), nil},
		{ClientID(""), []string{"empty client ID", "xxxxxxxx-xxxx"}},
		{ObjectID(""), []string{"empty object ID"}},
		{ResourceID(""), []string{"empty resource ID", "/subscriptions/"}},
		{ClientID("not-a-guid"), []string{`"not-a-guid"`, "is not a GUID", "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"}},
		{ClientID("{11111111-1111-1111-1111-111111111111}"), []string{"is not a GUID"}},
		{ObjectID("11111111-1111-1111-1111-11111111111g"), []string{"object ID", "is not a GUID"}},
		{ResourceID("subscriptions/x"), []string{"must start with /subscriptions/", "userAssignedIdentities/{name}"}},
		{ResourceID("/subscriptions/" + testSub + "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm"), []string{"Microsoft.ManagedIdentity"}},
		{ResourceID("/subscriptions/nope/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami"), []string{`subscription "nope" is not a GUID`}},
		{ResourceID("/subscriptions/" + testSub + "/resourceGroups/rg./providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami"), []string{"ends with a period"}},
		{ResourceID("/subscriptions/" + testSub + "/resourceGroups/r g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami"), []string{"contains"}},
		{ResourceID("/subscriptions/" + testSub + "/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ab"), []string{"3-128"}},
		{ResourceID("/subscriptions/" + testSub + "/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/-ab"), []string{"start with a letter"}},
		{ResourceID(testMIID + "/"), []string{"path segments"}},
		{ID{kind: SystemAssigned, value: "x"}, []string{"carries no value"}},
		{ID{kind: 9, value: "x"}, []string{"unknown ID kind"}},
	}
	for _, tt := range tests {
		err := tt.id.Validate()
		if tt.wantErr == nil {
			if err != nil {
				t.Errorf("%v.Validate() = %v, want nil", tt.id, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%v.Validate() = nil, want error", tt.id)
			continue
		}
		for _, s := range tt.wantErr {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%v.Validate() = %q, want it to contain %q", tt.id, err, s)
			}
		}
	}
}

func TestIDStrings(t *testing.T) {
	tests := []struct {
		id   ID
		kind IDKind
		want string
	}{
		{ID{}, SystemAssigned, "system-assigned"},
		{ClientID(testCID), ClientIDKind, "client ID " + testCID},
		{ObjectID(testOID), ObjectIDKind, "object ID " + testOID},
		{ResourceID(testMIID), ResourceIDKind, "resource ID " + testMIID},
	}
	for _, tt := range tests {
		if tt.id.String() != tt.want || tt.id.Kind() != tt.kind {
			t.Errorf("got %q/%v, want %q/%v", tt.id.String(), tt.id.Kind(), tt.want, tt.kind)
		}
	}
	if IDKind(7).String() != "IDKind(7)" {
		t.Errorf("IDKind(7).String() = %q", IDKind(7).String())
	}
}

func TestNewRejectsBadIDAndEndpoint(t *testing.T) {
	noenv := func(string) string { return "" }
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"empty client ID", Options{ID: ClientID(""), Getenv: noenv}, "empty client ID"},
		{"bad resource ID", Options{ID: ResourceID("/x"), Getenv: noenv}, "not a user-assigned identity ID"},
		{"ftp scheme", Options{Endpoint: "ftp://127.0.0.1", Getenv: noenv}, "must use http or https"},
		{"no host", Options{Endpoint: "http://", Getenv: noenv}, "has no host"},
		{"relative", Options{Endpoint: "127.0.0.1:8079", Getenv: noenv}, "has no scheme"},
		{"query", Options{Endpoint: "http://127.0.0.1:1/?a=b", Getenv: noenv}, "query"},
		{"env bad", Options{Getenv: mapEnv(map[string]string{"AZURE_POD_IDENTITY_AUTHORITY_HOST": "not a url"})}, "AZURE_POD_IDENTITY_AUTHORITY_HOST"},
		{"negative budget", Options{Endpoint: "http://127.0.0.1:1", RetryBudget: -1, Getenv: noenv}, "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.o)
			if err == nil {
				c.Close()
				t.Fatalf("New succeeded, want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestEndpointPrecedence(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "AZURE_POD_IDENTITY_AUTHORITY_HOST" {
				return v
			}
			return ""
		}
	}
	tests := []struct {
		name       string
		o          Options
		want       string
		wantReason string
	}{
		{"option wins", Options{Endpoint: "http://127.0.0.1:1/", Getenv: env("http://127.0.0.1:2")}, "http://127.0.0.1:1", "Options.Endpoint"},
		{"env", Options{Getenv: env("http://127.0.0.1:8079/")}, "http://127.0.0.1:8079", "$AZURE_POD_IDENTITY_AUTHORITY_HOST"},
		{"default", Options{Getenv: env("")}, "http://169.254.169.254", "default address"},
		{"path prefix kept", Options{Endpoint: "HTTP://127.0.0.1:3/prefix/"}, "http://127.0.0.1:3/prefix", "Options.Endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.o) // no I/O: safe even for the default address
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			info := c.Source()
			if info.Name != "IMDS" || info.Endpoint != tt.want || !strings.Contains(info.Reason, tt.wantReason) {
				t.Fatalf("Source() = %+v, want endpoint %q reason ~%q", info, tt.want, tt.wantReason)
			}
		})
	}
}
