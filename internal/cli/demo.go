package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/azmsi/azmsi/arm"
	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
)

// DemoUserClientID is the user-assigned identity the demo uses besides the
// system-assigned one: "app-contributor" in the embedded configuration.
const DemoUserClientID = "22222222-2222-2222-2222-222222222222"

// DemoOptions are the parsed flags of `azmsi demo`.
type DemoOptions struct{}

// NewCmdDemo builds `azmsi demo`.
func NewCmdDemo(f *Factory, runF func(*DemoOptions) error) *cobra.Command {
	opts := &DemoOptions{}
	return &cobra.Command{
		Use:   "demo",
		Short: "Run the seed flow (token → subscription → resource groups) against an in-process emulator",
		Long: `Start the emulator in this process with its embedded configuration, on free
loopback ports, and run the flow this project grew from, for the
system-assigned identity and for the user-assigned "app-contributor":
get a token, take the first subscription listed, list its resource groups.
Nothing leaves this machine; no Azure account is needed.`,
		Example: `  azmsi demo
  azmsi demo --debug   # with the redacted HTTP trace of every request`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return demoRun(cmd.Context(), f)
		},
	}
}

func demoRun(ctx context.Context, f *Factory) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	srv, err := emulator.Start(ctx, emulator.Options{}) // embedded config, random loopback ports, memory
	if err != nil {
		return fmt.Errorf("starting the in-process emulator: %w", err)
	}
	defer srv.Close()
	w := f.IO.Out
	fmt.Fprintf(w, "Emulator started in-process: IMDS %s, ARM %s\n", srv.IMDSEndpoint(), srv.ARMEndpoint())

	for _, id := range []struct {
		title string
		id    identity.ID
	}{
		{"system-assigned identity", identity.ID{}},
		{"user-assigned identity app-contributor", identity.ClientID(DemoUserClientID)},
	} {
		fmt.Fprintf(w, "\n== %s\n", id.title)
		if err := demoFlow(ctx, f, w, srv, id.id); err != nil {
			return fmt.Errorf("%s: %w", id.title, err)
		}
	}
	return nil
}

// demoFlow is the seed's program: credential, first subscription, its
// resource groups.
func demoFlow(ctx context.Context, f *Factory, w io.Writer, srv *emulator.Server, id identity.ID) error {
	hc := srv.HTTPClient()
	cred, err := identity.New(identity.Options{ID: id, Endpoint: srv.IMDSEndpoint(), HTTPClient: hc, Logger: f.Logger()})
	if err != nil {
		return err
	}
	defer cred.Close()
	tok, err := cred.Token(ctx, ARMResource)
	if err != nil {
		return err
	}
	c, err := identity.ParseClaims(tok.AccessToken)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "token:           %s, expires %s, oid %s, appid %s (the token itself is not shown)\n",
		tok.Type, tok.ExpiresOn.UTC().Format(time.RFC3339), c.ObjectID, c.AppID)

	client, err := arm.New(arm.Options{Credential: arm.FromIdentity(cred), Endpoint: srv.ARMEndpoint(), HTTPClient: hc, Logger: f.Logger()})
	if err != nil {
		return err
	}
	var sub arm.Subscription
	found := false
	for s, err := range client.Subscriptions(ctx) {
		if err != nil {
			return err
		}
		sub, found = s, true
		break // the seed takes the first subscription listed
	}
	if !found {
		return fmt.Errorf("the identity sees no subscription")
	}
	fmt.Fprintf(w, "subscription:    %s (%s, first listed)\n", sub.SubscriptionID, sub.DisplayName)
	fmt.Fprintln(w, "resource groups:")
	n := 0
	for g, err := range client.ResourceGroups(ctx, sub.SubscriptionID, nil) {
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %s\n", g.Name)
		n++
	}
	if n == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	return nil
}
