package cli

import (
	"strings"
	"testing"

	"github.com/azmsi/azmsi/identity"
)

func TestResolveIdentity(t *testing.T) {
	const rid = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-contributor"
	tests := []struct {
		name     string
		cf       func(*clientFlags)
		env      map[string]string
		want     identity.ID
		wantErr  string // substring; "" = success
		wantHint bool
	}{
		{name: "none is system-assigned", want: identity.ID{}},
		{name: "client id", cf: func(c *clientFlags) { c.clientID.Set(contributorID) }, want: identity.ClientID(contributorID)},
		{name: "object id", cf: func(c *clientFlags) { c.objectID.Set("22222222-2222-2222-2222-aaaaaaaaaaaa") }, want: identity.ObjectID("22222222-2222-2222-2222-aaaaaaaaaaaa")},
		{name: "resource id", cf: func(c *clientFlags) { c.resourceID.Set(rid) }, want: identity.ResourceID(rid)},
		{name: "env client id", env: map[string]string{"AZURE_CLIENT_ID": contributorID}, want: identity.ClientID(contributorID)},
		{name: "flag beats env", cf: func(c *clientFlags) { c.objectID.Set("22222222-2222-2222-2222-aaaaaaaaaaaa") },
			env: map[string]string{"AZURE_CLIENT_ID": readerID}, want: identity.ObjectID("22222222-2222-2222-2222-aaaaaaaaaaaa")},
		{name: "two flags", cf: func(c *clientFlags) { c.clientID.Set(contributorID); c.objectID.Set(readerID) }, wantErr: "--client-id and --object-id are mutually exclusive", wantHint: true},
		{name: "three flags", cf: func(c *clientFlags) { c.clientID.Set(contributorID); c.objectID.Set(readerID); c.resourceID.Set(rid) }, wantErr: "mutually exclusive"},
		{name: "empty flag", cf: func(c *clientFlags) { c.clientID.Set("") }, wantErr: "it is empty", wantHint: true},
		{name: "blank flag", cf: func(c *clientFlags) { c.objectID.Set("  ") }, wantErr: "it is empty"},
		{name: "zero guid", cf: func(c *clientFlags) { c.clientID.Set("00000000-0000-0000-0000-000000000000") }, wantErr: "all-zero GUID"},
		{name: "angle placeholder", cf: func(c *clientFlags) { c.clientID.Set("<client-id>") }, wantErr: "placeholder"},
		{name: "ellipsis", cf: func(c *clientFlags) { c.clientID.Set("...") }, wantErr: "placeholder"},
		{name: "x guid", cf: func(c *clientFlags) { c.clientID.Set("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx") }, wantErr: "placeholder"},
		{name: "unexpanded var", cf: func(c *clientFlags) { c.clientID.Set("$CLIENT_ID") }, wantErr: "placeholder"},
		{name: "doc resource id", cf: func(c *clientFlags) {
			c.resourceID.Set("/subscriptions/.../resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/msiname")
		}, wantErr: "placeholder"},
		{name: "malformed guid", cf: func(c *clientFlags) { c.clientID.Set("1234") }, wantErr: "--client-id"},
		{name: "malformed resource id", cf: func(c *clientFlags) { c.resourceID.Set("/subscriptions/x") }, wantErr: "--resource-id"},
		{name: "empty env", env: map[string]string{"AZURE_CLIENT_ID": ""}, wantErr: "AZURE_CLIENT_ID \"\" is not a usable identity", wantHint: true},
		{name: "placeholder env", env: map[string]string{"AZURE_CLIENT_ID": "<your-client-id>"}, wantErr: "AZURE_CLIENT_ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cf clientFlags
			if tt.cf != nil {
				tt.cf(&cf)
			}
			got, err := resolveIdentity(cf, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if got != tt.want {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("want error containing %q, got identity %v", tt.wantErr, got)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if exitCode(err) != ExitUsage {
				t.Errorf("exit code %d, want %d (usage)", exitCode(err), ExitUsage)
			}
			if tt.wantHint {
				var b strings.Builder
				reportError(&b, nil, err)
				if !strings.Contains(b.String(), "\nhint: ") {
					t.Errorf("no hint line in %q", b.String())
				}
			}
		})
	}
}

// Identity flags are validated before any network I/O, on every command
// that gets a token: no emulator is running here, and the client could not
// reach anything but loopback anyway.
func TestIdentityFlagsEveryCommand(t *testing.T) {
	cmds := [][]string{
		{"token"}, {"whoami"}, {"subscriptions", "list"}, {"subscriptions", "show"},
		{"groups", "list"}, {"groups", "show", "rg"}, {"groups", "exists", "rg"},
		{"groups", "create", "rg", "--location", "eastus"}, {"groups", "update", "rg", "--tag", "a=b"},
		{"groups", "delete", "rg", "--yes"}, {"rest", "/subscriptions", "--api-version", "2022-12-01"},
	}
	for _, c := range cmds {
		t.Run(strings.Join(c, "_"), func(t *testing.T) {
			r := (*testEnv)(nil).run(t, append(c, "--client-id", "")...)
			wantCode(t, r, ExitUsage)
			contains(t, r.stderr, "azmsi: --client-id \"\" is not a usable identity")
			if r.stdout != "" {
				t.Errorf("stdout not empty: %q", r.stdout)
			}
			r = (*testEnv)(nil).run(t, append(c, "--client-id", contributorID, "--resource-id", "/x")...)
			wantCode(t, r, ExitUsage)
			contains(t, r.stderr, "mutually exclusive")
		})
	}
}

func TestPlaceholderReason(t *testing.T) {
	for _, v := range []string{"", " ", zeroGUID, "<id>", "{clientId}", "…", "your-client-id", "client-id", "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX"} {
		if placeholderReason(v) == "" {
			t.Errorf("%q not recognised as a placeholder", v)
		}
	}
	for _, v := range []string{contributorID, "00000000-0000-0000-0000-000000000001", "rg-web", "/subscriptions/" + sub1 + "/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-reader"} {
		if why := placeholderReason(v); why != "" {
			t.Errorf("%q taken for a placeholder: %s", v, why)
		}
	}
}
