package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// NewCmdSubscriptions builds `azmsi subscriptions` (alias `subscription`).
func NewCmdSubscriptions(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "subscriptions",
		Aliases: []string{"subscription", "sub"},
		Short:   "List and show the subscriptions the identity can see",
		Args:    noArgs,
		RunE:    helpRunE,
	}
	f.addIdentityFlags(cmd.PersistentFlags())
	f.addARMFlags(cmd.PersistentFlags())
	cmd.AddCommand(NewCmdSubscriptionsList(f, nil), NewCmdSubscriptionsShow(f, nil))
	return cmd
}

var subscriptionColumns = []column{
	field("Name", "displayName"),
	field("SubscriptionId", "subscriptionId"),
	field("State", "state"),
	field("TenantId", "tenantId"),
}

// SubscriptionsListOptions are the parsed flags of `subscriptions list`.
type SubscriptionsListOptions struct {
	Output OutputOptions
}

// NewCmdSubscriptionsList builds `azmsi subscriptions list`.
func NewCmdSubscriptionsList(f *Factory, runF func(*SubscriptionsListOptions) error) *cobra.Command {
	opts := &SubscriptionsListOptions{}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the subscriptions the identity has a role on",
		Args:    noArgs,
		RunE:    identityRunE(f, opts, runF, &opts.Output, nil, subscriptionsListRun),
	}
	addOutputFlags(cmd.Flags(), &opts.Output, "table", "table", "json", "tsv")
	return cmd
}

func subscriptionsListRun(ctx context.Context, f *Factory, opts *SubscriptionsListOptions) error {
	c, err := f.ARM()
	if err != nil {
		return err
	}
	subs, err := c.SubscriptionPages().Collect(ctx)
	if err != nil {
		return err
	}
	return opts.Output.print(f.IO.Out, nonNil(subs), subscriptionColumns)
}

// SubscriptionsShowOptions are the parsed flags of `subscriptions show`.
type SubscriptionsShowOptions struct {
	ID     string
	Output OutputOptions
}

// NewCmdSubscriptionsShow builds `azmsi subscriptions show [ID]`.
func NewCmdSubscriptionsShow(f *Factory, runF func(*SubscriptionsShowOptions) error) *cobra.Command {
	opts := &SubscriptionsShowOptions{}
	cmd := &cobra.Command{
		Use:   "show [SUBSCRIPTION-ID]",
		Short: "Show one subscription (default: the one azmsi would use)",
		Args:  maxArgs(1, "one subscription ID"),
		RunE: identityRunE(f, opts, runF, &opts.Output, func(_ *cobra.Command, args []string) error {
			if len(args) == 1 {
				if why := subscriptionProblem(args[0]); why != "" {
					return flagErrorf("subscription ID %q is not usable: %s", args[0], why)
				}
				opts.ID = args[0]
			}
			return nil
		}, subscriptionsShowRun),
	}
	addOutputFlags(cmd.Flags(), &opts.Output, "table", "table", "json", "tsv")
	return cmd
}

func subscriptionsShowRun(ctx context.Context, f *Factory, opts *SubscriptionsShowOptions) error {
	c, err := f.ARM()
	if err != nil {
		return err
	}
	id := opts.ID
	if id == "" {
		sc, err := f.resolveSubscription(ctx)
		if err != nil {
			return err
		}
		id = sc.ID
	}
	s, err := c.GetSubscription(ctx, id)
	if err != nil {
		return err
	}
	return opts.Output.print(f.IO.Out, s, subscriptionColumns)
}
