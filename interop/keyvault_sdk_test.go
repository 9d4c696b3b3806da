package interop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/azmsi/azmsi/azcompat"
	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
)

const (
	emulatorTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	systemOID      = "11111111-1111-1111-1111-aaaaaaaaaaaa"
)

// createVault makes vault name in rg-data through the emulated ARM as the
// VM's identity, with an access policy giving the system identity every
// secret permission (perms) — the data plane's RBAC comes from the roles
// store once it authorizes there.
func createVault(ctx context.Context, s *emulator.Server, cred azcore.TokenCredential, name, perms string) error {
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}})
	if err != nil {
		return err
	}
	body := `{"location":"westeurope","properties":{"tenantId":"` + emulatorTenant + `","sku":{"family":"A","name":"standard"},"enableRbacAuthorization":false,` +
		`"accessPolicies":[{"tenantId":"` + emulatorTenant + `","objectId":"` + systemOID + `","permissions":{"secrets":[` + perms + `]}}]}}`
	req, err := http.NewRequestWithContext(ctx, "PUT", s.ARMEndpoint()+"/subscriptions/"+sub1+"/resourceGroups/rg-data/providers/Microsoft.KeyVault/vaults/"+name+"?api-version=2026-04-01", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("creating vault %s: %d %s", name, resp.StatusCode, b)
	}
	return nil
}

func newEmulator() (*emulator.Server, azcore.TokenCredential, func(), error) {
	ctx, cancel := context.WithCancel(context.Background())
	s, err := emulator.Start(ctx, emulator.Options{})
	if err != nil {
		cancel()
		return nil, nil, nil, err
	}
	mi, err := identity.New(identity.Options{Endpoint: s.IMDSEndpoint(), HTTPClient: s.HTTPClient(), Getenv: func(string) string { return "" }})
	if err != nil {
		cancel()
		s.Close()
		return nil, nil, nil, err
	}
	return s, azcompat.New(mi), func() { mi.Close(); cancel(); s.Close() }, nil
}

// Example_azsecrets reads a Key Vault secret with the SDK's azsecrets and
// azmsi's managed-identity credential (azcompat), against the emulator's
// vault at https://kv1.vault.localhost:PORT. azsecrets runs unmodified:
// its challenge verification passes because the vault host ends with the
// challenge resource's host (vault.localhost:PORT).
func Example_azsecrets() {
	s, cred, stop, err := newEmulator()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()
	ctx := context.Background()
	if err := createVault(ctx, s, cred, "kv1", `"get","set"`); err != nil {
		fmt.Println(err)
		return
	}

	client, err := azsecrets.NewClient(s.VaultURL("kv1"), cred, &azsecrets.ClientOptions{
		ClientOptions: policy.ClientOptions{Transport: s.HTTPClient()}, // trusts the emulator's CA
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := client.SetSecret(ctx, "db-password", azsecrets.SetSecretParameters{Value: to.Ptr("s3cr3t")}, nil); err != nil {
		fmt.Println(err)
		return
	}
	got, err := client.GetSecret(ctx, "db-password", "", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got.ID.Name(), *got.Value)
	// Output: db-password s3cr3t
}

// TestAzsecretsLifecycle drives azsecrets through versions, paging,
// update, soft delete, recover and purge, and a refusal.
func TestAzsecretsLifecycle(t *testing.T) {
	s, cred, stop, err := newEmulator()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), sdkTestDeadline)
	defer cancel()
	if err := createVault(ctx, s, cred, "kv2", `"all"`); err != nil {
		t.Fatal(err)
	}
	c, err := azsecrets.NewClient(s.VaultURL("kv2"), cred, &azsecrets.ClientOptions{ClientOptions: policy.ClientOptions{Transport: s.HTTPClient()}})
	if err != nil {
		t.Fatal(err)
	}
	var first azsecrets.ID
	for i := 0; i < 30; i++ { // more than one page of versions (25)
		r, err := c.SetSecret(ctx, "rotated", azsecrets.SetSecretParameters{Value: to.Ptr(fmt.Sprint("v", i))}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = *r.ID
		}
	}
	n := 0
	for p := c.NewListSecretPropertiesVersionsPager("rotated", nil); p.More(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Value)
	}
	if n != 30 {
		t.Errorf("%d versions listed, want 30", n)
	}
	old, err := c.GetSecret(ctx, "rotated", first.Version(), nil)
	if err != nil || *old.Value != "v0" {
		t.Fatalf("first version: %v %v", old.Value, err)
	}
	if _, err := c.UpdateSecretProperties(ctx, "rotated", "", azsecrets.UpdateSecretPropertiesParameters{
		ContentType: to.Ptr("text/plain"), Tags: map[string]*string{"env": to.Ptr("dev")},
		SecretAttributes: &azsecrets.SecretAttributes{Enabled: to.Ptr(false)}}, nil); err != nil {
		t.Fatal(err)
	}
	var re *azcore.ResponseError
	if _, err := c.GetSecret(ctx, "rotated", "", nil); !errors.As(err, &re) || re.StatusCode != 403 || re.ErrorCode != "Forbidden" {
		t.Errorf("disabled secret: %v", err)
	}
	if _, err := c.DeleteSecret(ctx, "rotated", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetDeletedSecret(ctx, "rotated", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RecoverDeletedSecret(ctx, "rotated", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteSecret(ctx, "rotated", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PurgeDeletedSecret(ctx, "rotated", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetSecret(ctx, "rotated", "", nil); !errors.As(err, &re) || re.StatusCode != 404 || re.ErrorCode != "SecretNotFound" {
		t.Errorf("purged secret: %v", err)
	}

	// app-reader has no access policy: 403 AccessDenied, unmodified.
	mi, err := identity.New(identity.Options{ID: identity.ClientID("33333333-3333-3333-3333-333333333333"), Endpoint: s.IMDSEndpoint(), HTTPClient: s.HTTPClient(), Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	defer mi.Close()
	rc, _ := azsecrets.NewClient(s.VaultURL("kv2"), azcompat.New(mi), &azsecrets.ClientOptions{ClientOptions: policy.ClientOptions{Transport: s.HTTPClient()}})
	if _, err := rc.GetSecret(ctx, "anything", "", nil); !errors.As(err, &re) || re.StatusCode != 403 {
		t.Errorf("reader: %v", err)
	}
}
