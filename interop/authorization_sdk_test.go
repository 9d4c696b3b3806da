package interop

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"

	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
)

// The README's role story through the unmodified armauthorization/v2 and
// armresources clients: Reader gets 403 on a write; an Owner assigns
// Contributor on the group; the write succeeds; the assignment is
// deleted; 403 again. Also role definitions by name and lists by filter.
func TestAuthorizationSDK(t *testing.T) {
	cfg, err := emulator.LoadConfig("../examples/rbac/config.json")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), sdkTestDeadline)
	defer cancel()
	s, err := emulator.Start(ctx, emulator.Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const (
		readerCID = "33333333-3333-3333-3333-333333333333"
		readerOID = "33333333-3333-3333-3333-aaaaaaaaaaaa"
		ownerCID  = "66666666-6666-6666-6666-666666666666"
		name      = "0b1c2d3e-0000-4000-8000-00000000000a"
	)
	reader, owner := adapter(t, s, identity.ClientID(readerCID)), adapter(t, s, identity.ClientID(ownerCID))
	rg := "/subscriptions/" + sub1 + "/resourceGroups/rg-web"

	defs, err := armauthorization.NewRoleDefinitionsClient(owner, sdkOptions(s))
	if err != nil {
		t.Fatal(err)
	}
	// The definitions client encodes $filter; the assignments client sends
	// it as given, so callers encode spaces there themselves.
	var contributor *armauthorization.RoleDefinition
	for p := defs.NewListPager("/subscriptions/"+sub1, &armauthorization.RoleDefinitionsClientListOptions{Filter: to.Ptr("roleName eq 'Contributor'")}); p.More(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("role definitions by name: %v", err)
		}
		for _, d := range page.Value {
			contributor = d
		}
	}
	if contributor == nil || *contributor.Name != "b24988ac-6180-42a0-ab88-20f7382dd24c" || *contributor.Properties.RoleType != "BuiltInRole" ||
		!contains(contributor.Properties.Permissions[0].NotActions, "Microsoft.Authorization/*/Write") {
		t.Fatalf("Contributor by name: %+v", contributor)
	}
	if got, err := defs.GetByID(ctx, *contributor.ID, nil); err != nil || *got.Properties.RoleName != "Contributor" {
		t.Fatalf("GetByID %s: %v", *contributor.ID, err)
	}

	update := func(cred azcore.TokenCredential) error {
		groups, err := armresources.NewResourceGroupsClient(sub1, cred, sdkOptions(s))
		if err != nil {
			t.Fatal(err)
		}
		_, err = groups.Update(ctx, "rg-web", armresources.ResourceGroupPatchable{Tags: map[string]*string{"team": to.Ptr("web")}}, nil)
		return err
	}
	wantForbidden := func(err error, action string) {
		t.Helper()
		var re *azcore.ResponseError
		if !errors.As(err, &re) || re.StatusCode != http.StatusForbidden || re.ErrorCode != "AuthorizationFailed" || !strings.Contains(err.Error(), action) {
			t.Fatalf("want 403 AuthorizationFailed for %s, got %v", action, err)
		}
	}
	wantForbidden(update(reader), "Microsoft.Resources/subscriptions/resourcegroups/write")

	assignments := func(cred azcore.TokenCredential) *armauthorization.RoleAssignmentsClient {
		c, err := armauthorization.NewRoleAssignmentsClient(sub1, cred, sdkOptions(s))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	params := armauthorization.RoleAssignmentCreateParameters{Properties: &armauthorization.RoleAssignmentProperties{
		RoleDefinitionID: contributor.ID, PrincipalID: to.Ptr(readerOID), PrincipalType: to.Ptr(armauthorization.PrincipalTypeServicePrincipal)}}
	// The reader cannot grant itself Contributor.
	_, err = assignments(reader).Create(ctx, rg, name, params, nil)
	wantForbidden(err, "Microsoft.Authorization/roleAssignments/write")
	created, err := assignments(owner).Create(ctx, rg, name, params, nil)
	if err != nil || *created.Properties.Scope != rg || *created.Properties.PrincipalID != readerOID {
		t.Fatalf("create: %+v %v", created, err)
	}
	// The same again under another name: RoleAssignmentExists.
	_, err = assignments(owner).Create(ctx, rg, "0b1c2d3e-0000-4000-8000-00000000000b", params, nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusConflict || re.ErrorCode != "RoleAssignmentExists" {
		t.Fatalf("duplicate: %v", err)
	}
	// Listed at the group with atScope() and by principal from the subscription.
	var scopes []string
	for p := assignments(owner).NewListForScopePager(rg, &armauthorization.RoleAssignmentsClientListForScopeOptions{Filter: to.Ptr("atScope()")}); p.More(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Value {
			if *a.Properties.PrincipalID == readerOID {
				scopes = append(scopes, *a.Properties.Scope)
			}
		}
	}
	if len(scopes) != 2 {
		t.Fatalf("atScope() at the group lists the reader's assignments at %v; want the subscription's and the group's", scopes)
	}
	n := 0
	for p := assignments(owner).NewListForSubscriptionPager(&armauthorization.RoleAssignmentsClientListForSubscriptionOptions{Filter: to.Ptr("principalId%20eq%20'" + readerOID + "'")}); p.More(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Value)
	}
	if n != 2 {
		t.Fatalf("principalId filter: %d assignments; want 2", n)
	}

	if err := update(reader); err != nil {
		t.Fatalf("write after the assignment: %v", err)
	}
	if _, err := assignments(owner).Delete(ctx, rg, name, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := assignments(owner).Get(ctx, rg, name, nil); !errors.As(err, &re) || re.StatusCode != http.StatusNotFound {
		t.Fatalf("get after delete: %v", err)
	}
	wantForbidden(update(reader), "Microsoft.Resources/subscriptions/resourcegroups/write")
}

func contains(list []*string, s string) bool {
	for _, v := range list {
		if v != nil && *v == s {
			return true
		}
	}
	return false
}
