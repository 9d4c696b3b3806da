package main

import (
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// claimsChallenge is what ARM's 401 carries when a token was revoked.
const claimsChallenge = `{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}`

// runClaims: ManagedIdentityCredential on the host the environment names
// (Service Fabric, App Service, Container Apps variables), a second request
// answered from azidentity's cache, then one with a claims challenge, then
// the groups of sub1 with the credential. It prints whether each token is
// the first one again: what the host answers a claims request depends on
// what the client sends (token_sha256_to_refresh makes a host mint anew).
func runClaims(ctx context.Context, _ []string) error {
	cred, err := azidentity.NewManagedIdentityCredential(nil)
	if err != nil {
		return err
	}
	opts := policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}}
	first, err := cred.GetToken(ctx, opts)
	if err != nil {
		return fmt.Errorf("first token: %w", err)
	}
	again, err := cred.GetToken(ctx, opts)
	if err != nil {
		return fmt.Errorf("second token: %w", err)
	}
	say("cached", sameOrNew(first.Token, again.Token))
	opts.Claims = claimsChallenge
	challenged, err := cred.GetToken(ctx, opts)
	if err != nil {
		return fmt.Errorf("token with claims: %w", err)
	}
	say("claims", sameOrNew(first.Token, challenged.Token))
	return sayGroups(ctx, "groups", cred)
}

func sameOrNew(a, b string) string {
	if a == b {
		return "same"
	}
	return "new"
}
