// Command sdkgroups is the seed flow on the Azure SDK for Go, as a process,
// for the CLI benchmark (BenchmarkCLI): a managed-identity token from
// azidentity, the first subscription from armsubscriptions, its resource
// groups from armresources, one name per line. It is the peer of
// `azmsi groups list`.
//
// It talks only to the azmsi emulator: azidentity always asks
// http://169.254.169.254, so its transport rewrites that host to the
// emulator's IMDS listener before dialing and refuses every non-loopback
// address (bench/internal/loopback).
//
// usage: sdkgroups [-imds URL] [-arm URL]
//
// The defaults come from the emulator's environment:
// AZURE_POD_IDENTITY_AUTHORITY_HOST and AZMSI_ARM_ENDPOINT; SSL_CERT_FILE
// names the emulator's CA.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions"

	"github.com/azmsi/azmsi/bench/internal/loopback"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sdkgroups:", err)
		os.Exit(1)
	}
}

func run() error {
	imds := flag.String("imds", os.Getenv("AZURE_POD_IDENTITY_AUTHORITY_HOST"), "emulator IMDS base URL (http://127.0.0.1:PORT)")
	armURL := flag.String("arm", os.Getenv("AZMSI_ARM_ENDPOINT"), "emulator ARM base URL (https://127.0.0.1:PORT)")
	flag.Parse()
	if *imds == "" || *armURL == "" {
		return errors.New("need the emulator's -imds and -arm (or its environment); this program never talks to Azure")
	}
	// TLS trusts the system roots, as the SDK's default transport does; Go
	// adds $SSL_CERT_FILE (the emulator's CA) to them. azmsi pays the same
	// root loading.
	hc, err := loopback.Client(*imds, nil)
	if err != nil {
		return err
	}
	co := policy.ClientOptions{Transport: hc}
	cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: co})
	if err != nil {
		return err
	}
	co.Cloud = cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
		cloud.ResourceManager: {Endpoint: *armURL, Audience: "https://management.core.windows.net/"},
	}}
	opts := &azarm.ClientOptions{ClientOptions: co}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	subs, err := armsubscriptions.NewClient(cred, opts)
	if err != nil {
		return err
	}
	var subID string
	for sp := subs.NewListPager(nil); sp.More() && subID == ""; {
		page, err := sp.NextPage(ctx)
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
	groups, err := armresources.NewResourceGroupsClient(subID, cred, opts)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for gp := groups.NewListPager(nil); gp.More(); {
		page, err := gp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list resource groups: %w", err)
		}
		for _, g := range page.Value {
			if g.Name != nil {
				fmt.Fprintln(out, *g.Name)
			}
		}
	}
	return nil
}
