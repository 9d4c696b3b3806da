package broker

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator"
)

// pythonWithAzureIdentity returns a python3 that can import azure.identity
// (Debian's python3-azure lives under /usr/bin/python3), or "".
func pythonWithAzureIdentity() string {
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import azure.identity").Run() == nil {
			return path
		}
	}
	return ""
}

// An unmodified Azure SDK — Python azure-identity's
// ManagedIdentityCredential with AZURE_POD_IDENTITY_AUTHORITY_HOST — gets
// its tokens through the broker. Three separate processes ask for two
// identities × two scopes: the upstream sees four requests.
func TestInteropPythonAzureIdentity(t *testing.T) {
	py := pythonWithAzureIdentity()
	if py == "" {
		t.Skip("python3 with azure.identity is not installed (apt-get install python3-azure); the Python interop check did not run")
	}
	emu := startEmulator(t, emulator.Options{})
	b := startBroker(t, emu.IMDSEndpoint(), Options{})
	scopes := []string{"https://management.azure.com/.default", "https://vault.azure.net/.default"}
	for i := range 3 {
		for _, who := range []string{"system", contributorID} {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			cmd := exec.CommandContext(ctx, py, append([]string{"testdata/python_client.py", who}, scopes...)...)
			// Only what the SDK needs; no proxy may intercept loopback.
			cmd.Env = []string{
				"PATH=" + os.Getenv("PATH"),
				"HOME=" + t.TempDir(),
				"AZURE_POD_IDENTITY_AUTHORITY_HOST=" + b.url,
				"NO_PROXY=*", "no_proxy=*",
			}
			out, err := cmd.CombinedOutput()
			cancel()
			if err != nil {
				t.Fatalf("run %d, %s: %v\n%s", i, who, err, out)
			}
			want := systemClientID
			if who != "system" {
				want = contributorID
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != 2 {
				t.Fatalf("run %d, %s: output %q", i, who, out)
			}
			for j, l := range lines {
				aud := strings.TrimSuffix(scopes[j], "/.default")
				if !strings.HasPrefix(l, fmt.Sprintf("appid=%s aud=%s", want, aud)) {
					t.Errorf("run %d, %s: %q, want appid %s aud %s", i, who, l, want, aud)
				}
			}
		}
	}
	s := b.Stats()
	if s.UpstreamRequests != 4 || emu.Stats().TokenRequests != 4 || s.ClientsServed != 12 || s.CacheHits != 8 {
		t.Errorf("upstream %d (emulator %d), served %d, hits %d; want 4, 4, 12, 8", s.UpstreamRequests, emu.Stats().TokenRequests, s.ClientsServed, s.CacheHits)
	}
}
