package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources/v3"
)

// runWorkload: in a pod's environment (AZURE_FEDERATED_TOKEN_FILE,
// AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_AUTHORITY_HOST) both credentials
// exchange the projected token at the authority and list the groups of the
// first subscription. Instance discovery is off, as for any authority MSAL
// Go does not know (it would ask login.microsoftonline.com first).
func runWorkload(ctx context.Context, _ []string) error {
	wi, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{DisableInstanceDiscovery: true})
	if err != nil {
		return err
	}
	if err := sayGroups(ctx, "workload-groups", wi); err != nil {
		return fmt.Errorf("WorkloadIdentityCredential: %w", err)
	}
	def, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{DisableInstanceDiscovery: true})
	if err != nil {
		return err
	}
	if err := sayGroups(ctx, "default-groups", def); err != nil {
		return fmt.Errorf("DefaultAzureCredential: %w", err)
	}
	return nil
}

// sayGroups prints the group names of sub1, sorted, comma-separated.
func sayGroups(ctx context.Context, key string, cred azcore.TokenCredential) error {
	groups, err := armresources.NewResourceGroupsClient(sub1, cred, nil)
	if err != nil {
		return err
	}
	var names []string
	for p := groups.NewListPager(nil); p.More(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, g := range page.Value {
			names = append(names, str(g.Name))
		}
	}
	sort.Strings(names)
	say(key, strings.Join(names, ","))
	return nil
}
