package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources/v3"
)

const contributorRoleID = "b24988ac-6180-42a0-ab88-20f7382dd24c"

// runRBAC: role definitions by name, then the story: the Reader identity
// may not write to a group; the Owner (the system identity in the suite's
// world) assigns it Contributor there; the write passes; the assignment is
// deleted; the write is refused again.
func runRBAC(ctx context.Context, args []string) error {
	rg := arg(args, 0, "rg-data")
	owner, err := azidentity.NewManagedIdentityCredential(nil)
	if err != nil {
		return err
	}
	reader, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ID: azidentity.ClientID(readerCID)})
	if err != nil {
		return err
	}
	defs, err := armauthorization.NewRoleDefinitionsClient(owner, nil)
	if err != nil {
		return err
	}
	subScope := "/subscriptions/" + sub1
	for p := defs.NewListPager(subScope, &armauthorization.RoleDefinitionsClientListOptions{Filter: to.Ptr("roleName eq 'Contributor'")}); p.More(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list role definitions: %w", err)
		}
		for _, d := range page.Value {
			say("definition", str(d.Properties.RoleName)+":"+str(d.Name)+":"+str(d.Properties.RoleType))
		}
	}
	d, err := defs.Get(ctx, subScope, contributorRoleID, nil)
	if err != nil {
		return fmt.Errorf("get role definition: %w", err)
	}
	say("definition-get", str(d.Properties.RoleName)+":"+str(d.Properties.Permissions[0].Actions[0]))
	say("definition-excludes-role-assignment-writes", slices.Contains(deref(d.Properties.Permissions[0].NotActions), "Microsoft.Authorization/*/Write"))

	groupScope := subScope + "/resourceGroups/" + rg
	write := func(tag string) (string, error) {
		c, err := armresources.NewResourceGroupsClient(sub1, reader, nil)
		if err != nil {
			return "", err
		}
		_, err = c.Update(ctx, rg, armresources.ResourceGroupPatchable{Tags: map[string]*string{"written-by": to.Ptr(tag)}}, nil)
		if err == nil {
			return "ok", nil
		}
		return refusal(err)
	}
	r, err := write("reader")
	if err != nil {
		return err
	}
	say("reader-write-before", r)

	assignments, err := armauthorization.NewRoleAssignmentsClient(sub1, owner, nil)
	if err != nil {
		return err
	}
	name := newUUID()
	a, err := assignments.Create(ctx, groupScope, name, armauthorization.RoleAssignmentCreateParameters{
		Properties: &armauthorization.RoleAssignmentProperties{
			PrincipalID:      to.Ptr(readerOID),
			RoleDefinitionID: to.Ptr(subScope + "/providers/Microsoft.Authorization/roleDefinitions/" + contributorRoleID),
			PrincipalType:    to.Ptr(armauthorization.PrincipalTypeServicePrincipal),
		},
	}, nil)
	if err != nil {
		return fmt.Errorf("create role assignment: %w", err)
	}
	say("assigned", str(a.Name) == name && strings.EqualFold(str(a.Properties.Scope), groupScope))
	// armauthorization puts $filter into the URL unencoded (spaces and
	// all): Azure answers that "400 The request is badly formed", as the
	// emulator's HTTP server does (azure-sdk-for-go issue 20847); callers
	// encode it themselves.
	found := 0
	filter := url.QueryEscape("principalId eq '" + readerOID + "'")
	for p := assignments.NewListForScopePager(groupScope, &armauthorization.RoleAssignmentsClientListForScopeOptions{Filter: &filter}); p.More(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list role assignments: %w", err)
		}
		for _, x := range page.Value {
			if str(x.Name) == name {
				found++
			}
		}
	}
	say("listed-assignment", found)

	if r, err = write("contributor"); err != nil {
		return err
	}
	say("reader-write-assigned", r)

	if _, err := assignments.Delete(ctx, groupScope, name, nil); err != nil {
		return fmt.Errorf("delete role assignment: %w", err)
	}
	_, err = assignments.Get(ctx, groupScope, name, nil)
	if r, err = refusal(err); err != nil {
		return fmt.Errorf("get deleted assignment: %w", err)
	}
	say("deleted-assignment", r)
	if r, err = write("reader-again"); err != nil {
		return err
	}
	say("reader-write-after", r)
	return nil
}

func deref(ps []*string) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, str(p))
	}
	return out
}

// newUUID is a random (version 4) UUID, as role assignment names are.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// assignRole gives principal role at scope as the credential's identity.
func assignRole(ctx context.Context, cred azcore.TokenCredential, scope, roleID, principal string) error {
	c, err := armauthorization.NewRoleAssignmentsClient(sub1, cred, nil)
	if err != nil {
		return err
	}
	_, err = c.Create(ctx, scope, newUUID(), armauthorization.RoleAssignmentCreateParameters{
		Properties: &armauthorization.RoleAssignmentProperties{
			PrincipalID:      to.Ptr(principal),
			RoleDefinitionID: to.Ptr("/subscriptions/" + sub1 + "/providers/Microsoft.Authorization/roleDefinitions/" + roleID),
			PrincipalType:    to.Ptr(armauthorization.PrincipalTypeServicePrincipal),
		},
	}, nil)
	return err
}
