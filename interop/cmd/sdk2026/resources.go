package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources/v3"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions/v2"
)

// storageAPI is an api-version armstorage sends for storage accounts; the
// suite's world makes the type asynchronous, so the pollers poll.
const storageAPI = "2025-01-01"

// runResources: subscriptions (v2), a group created, a generic resource
// created, read, listed and deleted by ID (v3), the group deleted.
func runResources(ctx context.Context, args []string) error {
	rg := arg(args, 0, "rg-sdk-v3")
	cred, err := azidentity.NewManagedIdentityCredential(nil)
	if err != nil {
		return err
	}
	subs, err := armsubscriptions.NewClient(cred, nil)
	if err != nil {
		return err
	}
	for p := subs.NewListPager(nil); p.More(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list subscriptions: %w", err)
		}
		for _, s := range page.Value {
			say("subscription", str(s.SubscriptionID)+":"+string(*s.State))
		}
	}

	groups, err := armresources.NewResourceGroupsClient(sub1, cred, nil)
	if err != nil {
		return err
	}
	g, err := groups.CreateOrUpdate(ctx, rg, armresources.ResourceGroup{Location: to.Ptr("westeurope")}, nil)
	if err != nil {
		return fmt.Errorf("create group: %w", err)
	}
	say("group", str(g.Name)+":"+str(g.Location)+":"+str(g.Properties.ProvisioningState))

	generic, err := armresources.NewClient(sub1, cred, nil)
	if err != nil {
		return err
	}
	id := "/subscriptions/" + sub1 + "/resourceGroups/" + rg + "/providers/Microsoft.Storage/storageAccounts/sdkv3store"
	poller, err := generic.BeginCreateOrUpdateByID(ctx, id, storageAPI, armresources.GenericResource{
		Location:   to.Ptr("westeurope"),
		Kind:       to.Ptr("StorageV2"),
		SKU:        &armresources.SKU{Name: to.Ptr("Standard_LRS")},
		Tags:       map[string]*string{"app": to.Ptr("interop")},
		Properties: map[string]any{"minimumTlsVersion": "TLS1_2"},
	}, nil)
	if err != nil {
		return fmt.Errorf("create resource: %w", err)
	}
	created, err := poller.PollUntilDone(ctx, nil)
	if err != nil {
		return fmt.Errorf("create resource (poll): %w", err)
	}
	say("created", str(created.Name)+":"+str(created.Type)+":"+provisioningState(created.Properties))

	got, err := generic.GetByID(ctx, id, storageAPI, nil)
	if err != nil {
		return fmt.Errorf("get resource: %w", err)
	}
	say("get", str(got.ID) == id)
	say("get-tag", str(got.Tags["app"]))
	say("get-sku", str(got.SKU.Name))

	var names []string
	for p := generic.NewListByResourceGroupPager(rg, nil); p.More(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list resources: %w", err)
		}
		for _, r := range page.Value {
			names = append(names, str(r.Name)+":"+str(r.Type))
		}
	}
	sort.Strings(names)
	say("listed", strings.Join(names, ","))

	del, err := generic.BeginDeleteByID(ctx, id, storageAPI, nil)
	if err != nil {
		return fmt.Errorf("delete resource: %w", err)
	}
	if _, err := del.PollUntilDone(ctx, nil); err != nil {
		return fmt.Errorf("delete resource (poll): %w", err)
	}
	_, err = generic.GetByID(ctx, id, storageAPI, nil)
	r, err := refusal(err)
	if err != nil {
		return fmt.Errorf("get after delete: %w", err)
	}
	say("after-delete", r)

	gdel, err := groups.BeginDelete(ctx, rg, nil)
	if err != nil {
		return fmt.Errorf("delete group: %w", err)
	}
	if _, err := gdel.PollUntilDone(ctx, nil); err != nil {
		return fmt.Errorf("delete group (poll): %w", err)
	}
	exists, err := groups.CheckExistence(ctx, rg, nil)
	if err != nil {
		return fmt.Errorf("group exists: %w", err)
	}
	say("group-exists", exists.Success)
	return nil
}

// provisioningState reads properties.provisioningState of a generic body.
func provisioningState(props any) string {
	m, _ := props.(map[string]any)
	s, _ := m["provisioningState"].(string)
	return s
}
