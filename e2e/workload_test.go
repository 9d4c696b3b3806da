package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/arm"
	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/testenv"
)

// TestWorkloadIdentityPod runs the clients in the environment
// `azmsi emulator --host workload` prints for an AKS pod: the credential
// with zero options, the CLI, and the listgroups sample.
func TestWorkloadIdentityPod(t *testing.T) {
	em := startEmulator(t, t.TempDir(), "--host", "workload")
	for _, k := range []string{"AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_AUTHORITY_HOST"} {
		if em.env[k] == "" {
			t.Fatalf("the env file lacks %s", k)
		}
	}
	assertion, err := os.ReadFile(em.env["AZURE_FEDERATED_TOKEN_FILE"])
	if err != nil {
		t.Fatal(err)
	}

	// identity.New(identity.Options{}) as a program in the pod: only the
	// environment (and a transport trusting the emulator's CA, as
	// SSL_CERT_FILE makes a real process do) is given.
	ca, err := os.ReadFile(em.env["SSL_CERT_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	cred, err := identity.New(identity.Options{Getenv: func(k string) string { return em.env[k] }, HTTPClient: testenv.LoopbackOnlyClient(ca)})
	if err != nil {
		t.Fatal(err)
	}
	defer cred.Close()
	if src := cred.Source(); src.Host != identity.HostWorkload {
		t.Fatalf("source %+v", src)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := cred.Token(ctx, "https://management.azure.com/.default")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := identity.ParseClaims(tok.AccessToken); err != nil || c.AppID != contributorID {
		t.Fatalf("token claims %+v %v", c, err)
	}
	client, err := arm.New(arm.Options{Credential: arm.FromIdentity(cred), Endpoint: em.env["AZMSI_ARM_ENDPOINT"], HTTPClient: testenv.LoopbackOnlyClient(ca)})
	if err != nil {
		t.Fatal(err)
	}
	var subs int
	for _, err := range client.Subscriptions(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		subs++
	}
	if subs == 0 {
		t.Fatal("no subscription listed with the workload token")
	}

	for _, args := range [][]string{{"token"}, {"whoami"}, {"groups", "list"}, {"doctor"}} {
		r := azmsi(t, em.env, args...)
		want(t, r, 0, args...)
		if strings.Contains(r.stdout+r.stderr, strings.TrimSpace(string(assertion))) {
			t.Errorf("azmsi %v printed the assertion", args)
		}
	}
	r := azmsi(t, em.env, "whoami")
	if !strings.Contains(r.stdout, contributorID) {
		t.Errorf("whoami in the pod:\n%s", r.stdout)
	}
	r = run(t, em.env, bins.listgroup)
	want(t, r, 0, "listgroups")
	if r.stdout != "identities\nrg-data\nrg-web\n" {
		t.Errorf("listgroups printed:\n%s", r.stdout)
	}
}
