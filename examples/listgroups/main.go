// Command listgroups is the sample azmsi grew from, in Go: authenticate
// with the host's managed identity, take the first subscription listed, and
// print the names of its resource groups, one per line.
//
// On an Azure VM it needs nothing. Locally, run it against the emulator:
//
//	azmsi emulator --env-file emulator.env &
//	set -a; . ./emulator.env; set +a
//	go run ./examples/listgroups
//
// AZURE_CLIENT_ID selects a user-assigned identity by client ID;
// AZURE_POD_IDENTITY_AUTHORITY_HOST and AZMSI_ARM_ENDPOINT (both read by
// the libraries) point it at the emulator, and SSL_CERT_FILE makes Go trust
// the emulator's CA.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/azmsi/azmsi/arm"
	"github.com/azmsi/azmsi/identity"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "listgroups:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var id identity.ID // system-assigned
	if v := os.Getenv("AZURE_CLIENT_ID"); v != "" {
		id = identity.ClientID(v)
	}
	cred, err := identity.New(identity.Options{ID: id})
	if err != nil {
		return err
	}
	defer cred.Close()

	client, err := arm.New(arm.Options{Credential: arm.FromIdentity(cred)})
	if err != nil {
		return err
	}

	var subscriptionID string
	for s, err := range client.Subscriptions(ctx) {
		if err != nil {
			return err
		}
		subscriptionID = s.SubscriptionID
		break // the first subscription listed, as the sample does
	}
	if subscriptionID == "" {
		return fmt.Errorf("the managed identity (%s) sees no subscription; give it a role on one", cred.ID())
	}

	for g, err := range client.ResourceGroups(ctx, subscriptionID, nil) {
		if err != nil {
			return err
		}
		fmt.Println(g.Name)
	}
	return nil
}
