package main

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources/v3"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

const (
	tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	// keyVaultAPI is what armkeyvault v1.5.0 sends.
	keyVaultAPI          = "2024-11-01"
	secretsOfficerRoleID = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
)

// runSecrets: the system identity (Owner) creates an RBAC vault through
// ARM, is refused a secret write (Owner holds no data action), gives itself
// Key Vault Secrets Officer on the vault, then sets, gets and lists.
// The secret value comes from the command line: the suite checks it comes
// back.
func runSecrets(ctx context.Context, args []string) error {
	vault := arg(args, 0, "kvsdkgo")
	value := arg(args, 1, "s3cret-value")
	cred, err := azidentity.NewManagedIdentityCredential(nil)
	if err != nil {
		return err
	}
	generic, err := armresources.NewClient(sub1, cred, nil)
	if err != nil {
		return err
	}
	id := "/subscriptions/" + sub1 + "/resourceGroups/rg-data/providers/Microsoft.KeyVault/vaults/" + vault
	poller, err := generic.BeginCreateOrUpdateByID(ctx, id, keyVaultAPI, armresources.GenericResource{
		Location: to.Ptr("westeurope"),
		Properties: map[string]any{
			"tenantId":                tenant,
			"sku":                     map[string]any{"family": "A", "name": "standard"},
			"enableRbacAuthorization": true,
		},
	}, nil)
	if err != nil {
		return fmt.Errorf("create vault: %w", err)
	}
	v, err := poller.PollUntilDone(ctx, nil)
	if err != nil {
		return fmt.Errorf("create vault (poll): %w", err)
	}
	props, _ := v.Properties.(map[string]any)
	uri, _ := props["vaultUri"].(string)
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "https" {
		return fmt.Errorf("vaultUri %q is not an https URL", uri)
	}
	say("vault", str(v.Name)+":"+strings.SplitN(u.Hostname(), ".", 2)[0])

	client, err := azsecrets.NewClient(uri, cred, nil)
	if err != nil {
		return err
	}
	_, err = client.SetSecret(ctx, "db-password", azsecrets.SetSecretParameters{Value: &value}, nil)
	r, err := refusal(err)
	if err != nil {
		return fmt.Errorf("set without a data role: %w", err)
	}
	say("set-without-role", r)

	if err := assignRole(ctx, cred, id, secretsOfficerRoleID, systemOID); err != nil {
		return fmt.Errorf("assign Key Vault Secrets Officer: %w", err)
	}
	set, err := client.SetSecret(ctx, "db-password", azsecrets.SetSecretParameters{Value: &value, ContentType: to.Ptr("text/plain")}, nil)
	if err != nil {
		return fmt.Errorf("set secret: %w", err)
	}
	if _, err := client.SetSecret(ctx, "api-key", azsecrets.SetSecretParameters{Value: to.Ptr("k")}, nil); err != nil {
		return fmt.Errorf("set secret: %w", err)
	}
	say("set", set.ID.Name()+":"+str(set.ContentType))
	got, err := client.GetSecret(ctx, "db-password", "", nil)
	if err != nil {
		return fmt.Errorf("get secret: %w", err)
	}
	say("get", got.ID.Name()+":"+str(got.Value))
	byVersion, err := client.GetSecret(ctx, "db-password", set.ID.Version(), nil)
	if err != nil {
		return fmt.Errorf("get secret version: %w", err)
	}
	say("get-version", str(byVersion.Value) == value)
	var names []string
	for p := client.NewListSecretPropertiesPager(nil); p.More(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list secrets: %w", err)
		}
		for _, s := range page.Value {
			names = append(names, s.ID.Name())
		}
	}
	sort.Strings(names)
	say("listed", strings.Join(names, ","))

	// The Reader identity (control plane only) is still refused.
	reader, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ID: azidentity.ClientID(readerCID)})
	if err != nil {
		return err
	}
	rc, err := azsecrets.NewClient(uri, reader, nil)
	if err != nil {
		return err
	}
	_, err = rc.GetSecret(ctx, "db-password", "", nil)
	if r, err = refusal(err); err != nil {
		return fmt.Errorf("reader get: %w", err)
	}
	say("reader-get", r)
	return nil
}
