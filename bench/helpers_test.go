package bench

import (
	"context"
	"net"
	"net/http"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azmsi/azmsi/arm"
	"github.com/azmsi/azmsi/bench/internal/loopback"
	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
)

const (
	armScope    = "https://management.azure.com/.default"
	armAudience = "https://management.core.windows.net/"
)

// TestMain clears the variables by which azidentity/MSAL (or azmsi) would
// pick an endpoint other than the rewritten IMDS address.
func TestMain(m *testing.M) {
	for _, v := range []string{
		"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT",
		"MSI_ENDPOINT", "MSI_SECRET", "AZURE_POD_IDENTITY_AUTHORITY_HOST", "AZMSI_ARM_ENDPOINT",
		"AZURE_CLIENT_ID", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy",
	} {
		os.Unsetenv(v)
	}
	os.Exit(m.Run())
}

func noEnv(string) string { return "" }

// startEmulator runs an in-process emulator for the benchmark's lifetime.
func startEmulator(tb testing.TB, o emulator.Options) *emulator.Server {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := emulator.Start(ctx, o)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cancel()
		s.Close()
	})
	return s
}

// httpClient is the transport both libraries get: loopback-only, trusting
// the emulator's CA, rewriting 169.254.169.254 to the emulator's IMDS (a
// no-op for azmsi, which is told the emulator's address).
func loopbackClient(imds string, ca []byte) (*http.Client, error) { return loopback.Client(imds, ca) }

func httpClient(tb testing.TB, s *emulator.Server) *http.Client {
	tb.Helper()
	c, err := loopback.Client(s.IMDSEndpoint(), s.CACertPEM())
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func azmsiCred(tb testing.TB, s *emulator.Server, hc *http.Client) *identity.Credential {
	tb.Helper()
	c, err := identity.New(identity.Options{Endpoint: s.IMDSEndpoint(), HTTPClient: hc, Getenv: noEnv})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

func sdkCred(tb testing.TB, hc *http.Client) *azidentity.ManagedIdentityCredential {
	tb.Helper()
	c, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
		ClientOptions: policy.ClientOptions{Transport: hc},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func sdkTokenOptions() policy.TokenRequestOptions {
	return policy.TokenRequestOptions{Scopes: []string{armScope}}
}

// armClient is azmsi's ARM client on the emulator.
func armClient(tb testing.TB, s *emulator.Server, hc *http.Client) *arm.Client {
	tb.Helper()
	c, err := arm.New(arm.Options{
		Credential: arm.FromIdentity(azmsiCred(tb, s, hc)),
		Endpoint:   s.ARMEndpoint(),
		HTTPClient: hc,
		Getenv:     noEnv,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// sdkARM points armsubscriptions/armresources at the emulator: its ARM
// endpoint as the cloud's resource manager, with audience, one of those the
// emulator accepts for ARM.
//
// MSAL (under azidentity) caches managed-identity tokens process-wide, by
// identity and resource, across credentials. Every emulator signs with a key
// of its own, so a benchmark that starts a second emulator in this process
// must ask for another audience, or the SDK presents the first emulator's
// token and gets 401.
func sdkARM(s *emulator.Server, hc *http.Client, audience string) *azarm.ClientOptions {
	return &azarm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: s.ARMEndpoint(), Audience: audience},
		}},
		Transport: hc,
	}}
}

var _ azcore.TokenCredential = (*azidentity.ManagedIdentityCredential)(nil)

// closedPort returns a loopback address where nothing listens.
func closedPort(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// percentile of sorted durations, p in [0,1].
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func sortDurations(d []time.Duration) { sort.Slice(d, func(i, j int) bool { return d[i] < d[j] }) }
