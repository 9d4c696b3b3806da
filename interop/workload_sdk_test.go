package interop

import (
	"context"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
)

// startWorkload starts the emulator as an AKS pod with workload identity
// and returns it with the environment it prints.
func startWorkload(t *testing.T) (*emulator.Server, map[string]string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := emulator.Start(ctx, emulator.Options{Hosts: []string{emulator.HostWorkload}})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		s.Close()
	})
	env := map[string]string{}
	for _, v := range s.Env() {
		env[v.Name] = v.Value
	}
	return s, env
}

// workloadCloud is the emulator as a cloud: its Entra endpoint as the
// authority (https, as azidentity requires), its ARM endpoint.
func workloadCloud(s *emulator.Server, env map[string]string) cloud.Configuration {
	return cloud.Configuration{
		ActiveDirectoryAuthorityHost: env["AZURE_AUTHORITY_HOST"],
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: s.ARMEndpoint(), Audience: armAudience},
		},
	}
}

// TestWorkloadIdentityCredentialSDK: unmodified azidentity
// WorkloadIdentityCredential (MSAL Go inside) against the emulated Entra
// endpoint: the OpenID document it fetches, the token exchange, then ARM.
// Instance discovery is disabled, as it must be for any authority MSAL Go
// does not know (it would otherwise ask login.microsoftonline.com); the
// emulator's client dials loopback only, so a request that tried to leave
// would fail the test.
func TestWorkloadIdentityCredentialSDK(t *testing.T) {
	s, env := startWorkload(t)
	cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
		ClientOptions:            policy.ClientOptions{Cloud: workloadCloud(s, env), Transport: s.HTTPClient()},
		ClientID:                 env["AZURE_CLIENT_ID"],
		TenantID:                 env["AZURE_TENANT_ID"],
		TokenFilePath:            env["AZURE_FEDERATED_TOKEN_FILE"],
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), sdkTestDeadline)
	defer cancel()
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := identity.ParseClaims(tok.Token)
	if err != nil || c.AppID != contributorCID || c.ObjectID != contributorOID {
		t.Fatalf("token claims %+v %v", c, err)
	}
	o := sdkOptions(s)
	o.Cloud = workloadCloud(s, env)
	if got := listSubscriptions(ctx, t, cred, o); !strings.Contains(strings.Join(got, ","), sub1) {
		t.Fatalf("subscriptions %v", got)
	}

	// Entra's errors reach the SDK's caller with their AADSTS code.
	if err := s.SetWorkloadFaults(emulator.WorkloadFaults{NoCredential: true}); err != nil {
		t.Fatal(err)
	}
	cred2, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
		ClientOptions: policy.ClientOptions{Cloud: workloadCloud(s, env), Transport: s.HTTPClient()},
		ClientID:      env["AZURE_CLIENT_ID"], TenantID: env["AZURE_TENANT_ID"], TokenFilePath: env["AZURE_FEDERATED_TOKEN_FILE"],
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cred2.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
	if err == nil || !strings.Contains(err.Error(), "AADSTS70021") {
		t.Fatalf("with no federated credential: %v", err)
	}
}

// TestDefaultAzureCredentialInPod: DefaultAzureCredential picks workload
// identity from the pod's variables. PATH is emptied so that the chain can
// never fall through to the Azure CLI or azd.
func TestDefaultAzureCredentialInPod(t *testing.T) {
	s, env := startWorkload(t)
	for _, k := range []string{"AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_AUTHORITY_HOST"} {
		t.Setenv(k, env[k])
	}
	// No IMDS override: the chain's managed-identity credential would dial
	// 169.254.169.254, which the emulator's loopback-only client refuses, so
	// only workload identity can succeed.
	t.Setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "")
	t.Setenv("PATH", "")
	newDAC := func() azcore.TokenCredential {
		cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			ClientOptions:            policy.ClientOptions{Cloud: workloadCloud(s, env), Transport: s.HTTPClient()},
			DisableInstanceDiscovery: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		return cred
	}
	ctx, cancel := context.WithTimeout(context.Background(), sdkTestDeadline)
	defer cancel()
	scopes := policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}}
	tok, err := newDAC().GetToken(ctx, scopes)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := identity.ParseClaims(tok.Token); err != nil || c.AppID != contributorCID {
		t.Fatalf("token claims %+v %v", c, err)
	}
	if err := s.SetWorkloadFaults(emulator.WorkloadFaults{NoCredential: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := newDAC().GetToken(ctx, scopes); err == nil || !strings.Contains(err.Error(), "AADSTS70021") {
		t.Fatalf("the chain did not go through workload identity: %v", err)
	}
}
