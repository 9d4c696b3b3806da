// Command sdkflow runs the seed's flow with the Azure SDK for Go, unmodified:
// azidentity.ManagedIdentityCredential finds its endpoint the way it does on
// Azure (IMDS at 169.254.169.254, or the App Service variables
// IDENTITY_ENDPOINT/IDENTITY_HEADER), and armsubscriptions/armresources talk
// to https://management.azure.com. No option points anything at the emulator;
// the interop suite runs this inside a network namespace where those
// addresses are the emulator.
//
// It prints the resource-group names of the first subscription, one per line,
// then "subscription_id=<id>".
//
// usage: sdkflow [-client-id ID | -object-id ID | -resource-id ID]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sdkflow:", err)
		os.Exit(1)
	}
}

func run() error {
	clientID := flag.String("client-id", "", "user-assigned identity by client ID")
	objectID := flag.String("object-id", "", "user-assigned identity by object ID")
	resourceID := flag.String("resource-id", "", "user-assigned identity by resource ID")
	flag.Parse()

	var opts azidentity.ManagedIdentityCredentialOptions
	n := 0
	if *clientID != "" {
		opts.ID, n = azidentity.ClientID(*clientID), n+1
	}
	if *objectID != "" {
		opts.ID, n = azidentity.ObjectID(*objectID), n+1
	}
	if *resourceID != "" {
		opts.ID, n = azidentity.ResourceID(*resourceID), n+1
	}
	if n > 1 {
		return errors.New("give at most one of -client-id, -object-id, -resource-id")
	}
	cred, err := azidentity.NewManagedIdentityCredential(&opts)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	subs, err := armsubscriptions.NewClient(cred, nil)
	if err != nil {
		return err
	}
	pager := subs.NewListPager(nil)
	var subID string
	for pager.More() && subID == "" {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list subscriptions: %w", err)
		}
		if len(page.Value) > 0 && page.Value[0].SubscriptionID != nil {
			subID = *page.Value[0].SubscriptionID
		}
	}
	if subID == "" {
		return errors.New("the identity can see no subscription")
	}

	groups, err := armresources.NewResourceGroupsClient(subID, cred, nil)
	if err != nil {
		return err
	}
	gp := groups.NewListPager(nil)
	for gp.More() {
		page, err := gp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list resource groups: %w", err)
		}
		for _, g := range page.Value {
			if g.Name != nil {
				fmt.Println(*g.Name)
			}
		}
	}
	fmt.Printf("subscription_id=%s\n", subID)
	return nil
}
