package interop

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions"

	"github.com/azmsi/azmsi/azcompat"
	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
)

// Values of the emulator's default configuration (emulator/internal/config/default.json).
const (
	sub1            = "00000000-0000-0000-0000-000000000001"
	sub2            = "00000000-0000-0000-0000-000000000002"
	contributorCID  = "22222222-2222-2222-2222-222222222222"
	contributorOID  = "22222222-2222-2222-2222-aaaaaaaaaaaa"
	contributorRID  = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-contributor"
	armAudience     = "https://management.core.windows.net/"
	sdkTestDeadline = time.Minute
)

var sub1Groups = []string{"identities", "rg-data", "rg-web"}

func startEmulator(t *testing.T) *emulator.Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := emulator.Start(ctx, emulator.Options{})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		s.Close()
	})
	return s
}

// sdkOptions points an SDK client at the emulator: its ARM endpoint as the
// cloud's resource manager, and its HTTP client (trusts the emulator's CA,
// dials loopback only) as transport.
func sdkOptions(s *emulator.Server) *arm.ClientOptions {
	return &arm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: s.ARMEndpoint(), Audience: armAudience},
		}},
		Transport: s.HTTPClient(),
	}}
}

func adapter(t *testing.T, s *emulator.Server, id identity.ID) azcore.TokenCredential {
	t.Helper()
	mi, err := identity.New(identity.Options{
		ID:         id,
		Endpoint:   s.IMDSEndpoint(),
		HTTPClient: s.HTTPClient(),
		Getenv:     func(string) string { return "" },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mi.Close() })
	return azcompat.New(mi)
}

func listSubscriptions(ctx context.Context, t *testing.T, cred azcore.TokenCredential, o *arm.ClientOptions) []string {
	t.Helper()
	c, err := armsubscriptions.NewClient(cred, o)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for p := c.NewListPager(nil); p.More(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("list subscriptions: %v", err)
		}
		for _, s := range page.Value {
			ids = append(ids, *s.SubscriptionID)
		}
	}
	return ids
}

func listGroups(ctx context.Context, t *testing.T, groups *armresources.ResourceGroupsClient) []string {
	t.Helper()
	var names []string
	for p := groups.NewListPager(nil); p.More(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("list resource groups: %v", err)
		}
		for _, g := range page.Value {
			names = append(names, *g.Name)
		}
	}
	slices.Sort(names)
	return names
}

// The acceptance test for azcompat: armsubscriptions and armresources
// built with the adapter list the emulator's subscriptions and groups, for
// the system-assigned identity and each user-assigned form.
func TestAzcompatWithARMClients(t *testing.T) {
	s := startEmulator(t)
	tests := []struct {
		name     string
		id       identity.ID
		wantSubs []string
	}{
		{"system-assigned", identity.ID{}, []string{sub1}},
		{"client ID", identity.ClientID(contributorCID), []string{sub1, sub2}},
		{"object ID", identity.ObjectID(contributorOID), []string{sub1, sub2}},
		{"resource ID", identity.ResourceID(contributorRID), []string{sub1, sub2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), sdkTestDeadline)
			defer cancel()
			cred, o := adapter(t, s, tt.id), sdkOptions(s)

			subs := listSubscriptions(ctx, t, cred, o)
			slices.Sort(subs)
			if !slices.Equal(subs, tt.wantSubs) {
				t.Fatalf("subscriptions = %v, want %v", subs, tt.wantSubs)
			}
			groups, err := armresources.NewResourceGroupsClient(sub1, cred, o)
			if err != nil {
				t.Fatal(err)
			}
			if got := listGroups(ctx, t, groups); !slices.Equal(got, sub1Groups) {
				t.Errorf("groups of %s = %v, want %v", sub1, got, sub1Groups)
			}
		})
	}
}

// Write path through the SDK: create, check existence, delete (long-running
// operation polled by azcore's poller), check again.
func TestAzcompatResourceGroupLifecycle(t *testing.T) {
	s := startEmulator(t)
	ctx, cancel := context.WithTimeout(context.Background(), sdkTestDeadline)
	defer cancel()
	groups, err := armresources.NewResourceGroupsClient(sub1, adapter(t, s, identity.ID{}), sdkOptions(s))
	if err != nil {
		t.Fatal(err)
	}
	const name = "rg-interop-sdk"
	created, err := groups.CreateOrUpdate(ctx, name, armresources.ResourceGroup{
		Location: to.Ptr("eastus"),
		Tags:     map[string]*string{"suite": to.Ptr("interop")},
	}, nil)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if *created.Name != name || *created.Location != "eastus" || *created.Tags["suite"] != "interop" {
		t.Errorf("created = name %q location %q tags %v", *created.Name, *created.Location, created.Tags)
	}
	if ex, err := groups.CheckExistence(ctx, name, nil); err != nil || !ex.Success {
		t.Fatalf("exists after create = %v, %v; want true", ex.Success, err)
	}
	if got := listGroups(ctx, t, groups); !slices.Contains(got, name) {
		t.Errorf("list after create = %v, want it to contain %s", got, name)
	}
	poller, err := groups.BeginDelete(ctx, name, nil)
	if err != nil {
		t.Fatalf("begin delete: %v", err)
	}
	if _, err := poller.PollUntilDone(ctx, &runtimePollOptions); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if ex, err := groups.CheckExistence(ctx, name, nil); err != nil || ex.Success {
		t.Fatalf("exists after delete = %v, %v; want false", ex.Success, err)
	}
	if got := listGroups(ctx, t, groups); !slices.Equal(got, sub1Groups) {
		t.Errorf("list after delete = %v, want %v", got, sub1Groups)
	}
}
