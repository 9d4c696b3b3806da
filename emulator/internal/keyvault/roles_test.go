package keyvault

import (
	"testing"

	"github.com/azmsi/azmsi/emulator/internal/roles"
)

// TestWithRolesStore decides with the emulator's RBAC store and the
// built-in roles: Reader (control plane only) is refused a secret, Key
// Vault Secrets User assigned on one secret reads that secret only, and
// Secrets Officer at the vault writes.
func TestWithRolesStore(t *testing.T) {
	rs := roles.New(roles.Options{TenantID: tenant})
	assign := func(name, scope, role, oid string) {
		t.Helper()
		sc, err := roles.ParseScope(scope)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, e := rs.PutAssignment(roles.Caller{}, roles.AssignmentRequest{Name: name, Scope: sc, RoleDefinitionID: role, PrincipalID: oid, PrincipalType: "ServicePrincipal"}); e != nil {
			t.Fatal(e)
		}
	}
	assign("11111111-0000-4000-8000-000000000001", vaultID, roles.ReaderID, readerOID)
	assign("11111111-0000-4000-8000-000000000002", vaultID+"/secrets/db-password", roles.KeyVaultSecretsUserID, userOID)
	assign("11111111-0000-4000-8000-000000000003", vaultID, roles.KeyVaultSecretsOfficerID, ownerOID)
	e := newEnv(t, func(o *Options) { o.Authorizer = rs })

	e.set(base+"/secrets/db-password"+av, "s3cr3t")
	e.set(base+"/secrets/other"+av, "x")
	mustStatus(t, e.do("GET", base+"/secrets/db-password/"+av, tokUser, nil), 200)
	mustStatus(t, e.do("GET", base+"/secrets/other/"+av, tokUser, nil), 403)
	mustStatus(t, e.do("GET", base+"/secrets"+av, tokUser, nil), 403) // listing needs the vault scope
	r := e.do("GET", base+"/secrets/db-password/"+av, tokReader, nil)
	mustStatus(t, r, 403)
	if _, inner := r.errCode(t); inner != "ForbiddenByRbac" {
		t.Errorf("inner %q", inner)
	}
	mustStatus(t, e.do("DELETE", base+"/secrets/other"+av, tokOwner, nil), 200)
	mustStatus(t, e.do("DELETE", base+"/deletedsecrets/other"+av, tokOwner, nil), 204)
}
