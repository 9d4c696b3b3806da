package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/spf13/cobra"

	"github.com/azmsi/azmsi/arm"
)

// NewCmdGroups builds `azmsi groups` (alias `group`).
func NewCmdGroups(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "groups",
		Aliases: []string{"group"},
		Short:   "List, show, create, update and delete resource groups",
		Long: `Manage resource groups with the managed identity.

The subscription is --subscription, else $AZURE_SUBSCRIPTION_ID, else the VM's
(instance metadata), else the only one the identity can see. With several
visible and none chosen, 'groups list' lists the groups of all of them.`,
		Args: noArgs,
		RunE: helpRunE,
	}
	f.addIdentityFlags(cmd.PersistentFlags())
	f.addARMFlags(cmd.PersistentFlags())
	cmd.AddCommand(
		NewCmdGroupsList(f, nil),
		NewCmdGroupsShow(f, nil),
		NewCmdGroupsExists(f, nil),
		NewCmdGroupsCreate(f, nil),
		NewCmdGroupsUpdate(f, nil),
		NewCmdGroupsDelete(f, nil),
	)
	return cmd
}

var groupColumns = []column{
	field("Name", "name"),
	field("Location", "location"),
	field("Status", "properties.provisioningState"),
}

var groupAcrossColumns = acrossColumns(groupColumns)

// checkGroupName refuses names that are empty, placeholders or would
// change the request path; ARM checks the rest.
func checkGroupName(name string) error {
	if why := placeholderReason(name); why != "" {
		return flagErrorf("resource group name %q is not usable: %s", name, why)
	}
	if strings.ContainsAny(name, "/?#\\") {
		return flagErrorf("resource group name %q must not contain '/', '?', '#' or '\\'", name)
	}
	if strings.Trim(name, ".") == "" {
		// "." and ".." would be read as path steps, not as a name.
		return flagErrorf("resource group name %q is not usable: a name cannot be made of dots only", name)
	}
	return nil
}

// parseTag reads one --tag NAME=VALUE (NAME alone means an empty value).
func parseTag(t string) (name, value string, err error) {
	name, value, _ = strings.Cut(t, "=")
	if strings.TrimSpace(name) == "" {
		return "", "", flagErrorf("--tag %q: want NAME=VALUE", t)
	}
	return name, value, nil
}

// tagListFilter is the $filter of `groups list --tag`: as in az, a tag
// without a value (NAME or NAME=) selects the groups that have the tag at
// all, whatever its value.
func tagListFilter(name, value string) string {
	if value == "" {
		return "tagName eq '" + strings.ReplaceAll(name, "'", "''") + "'"
	}
	return arm.TagFilter(name, value)
}

// parseTags reads repeated --tag flags.
func parseTags(in []string) (map[string]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(in))
	for _, t := range in {
		k, v, err := parseTag(t)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// GroupsListOptions are the parsed flags of `groups list`.
type GroupsListOptions struct {
	Tag    string
	Output OutputOptions

	list *arm.ListGroupsOptions // from Tag; nil lists every group
}

// NewCmdGroupsList builds `azmsi groups list`.
func NewCmdGroupsList(f *Factory, runF func(*GroupsListOptions) error) *cobra.Command {
	opts := &GroupsListOptions{}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List resource groups (of every visible subscription when none is chosen)",
		Example: `  azmsi groups list
  azmsi groups list --tag env=prod -o json
  azmsi groups list --query "[?location=='eastus'].name" -o tsv`,
		Args: noArgs,
		RunE: identityRunE(f, opts, runF, &opts.Output, func(*cobra.Command, []string) error {
			if opts.Tag == "" {
				return nil
			}
			k, v, err := parseTag(opts.Tag)
			if err != nil {
				return err
			}
			opts.list = &arm.ListGroupsOptions{Filter: tagListFilter(k, v)}
			return nil
		}, groupsListRun),
	}
	cmd.Flags().StringVar(&opts.Tag, "tag", "", "only groups with this tag: NAME=VALUE, or NAME (or NAME=) for any value")
	addOutputFlags(cmd.Flags(), &opts.Output, "table", "table", "json", "tsv")
	return cmd
}

func groupsListRun(ctx context.Context, f *Factory, opts *GroupsListOptions) error {
	c, sub, several, err := f.listScope(ctx)
	if err != nil {
		return err
	}
	if several != nil {
		return groupsListAcross(ctx, f, c, several, opts)
	}
	groups, err := c.ResourceGroupPages(sub, opts.list).Collect(ctx)
	if err != nil {
		return err
	}
	return opts.Output.print(f.IO.Out, nonNil(groups), groupColumns)
}

// nonNil makes an empty list print as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// groupsListAcross lists every subscription's groups concurrently; the
// rows carry a subscription column.
func groupsListAcross(ctx context.Context, f *Factory, c *arm.Client, subs []string, opts *GroupsListOptions) error {
	res, err := c.ResourceGroupsAcross(ctx, subs, opts.list)
	if err != nil {
		return err
	}
	return printAcross(f, &opts.Output, groupAcrossColumns, len(res), func(i int) (string, []arm.ResourceGroup, error) {
		return res[i].SubscriptionID, res[i].Groups, res[i].Err
	})
}

// groupArgOptions is shared by the commands that take one group NAME.
type groupArgOptions struct {
	Name   string
	Output OutputOptions
}

// groupRunE is identityRunE for the commands on one resource group NAME:
// NAME is checked with the other usage errors (then check, which may be
// nil), and run gets the resolved subscription and the ARM client.
func groupRunE[O any](f *Factory, opts *O, runF func(*O) error, g *groupArgOptions, out *OutputOptions,
	check func() error,
	run func(ctx context.Context, sub string, c *arm.Client) error,
) func(*cobra.Command, []string) error {
	return identityRunE(f, opts, runF, out, func(_ *cobra.Command, args []string) error {
		g.Name = args[0]
		if err := checkGroupName(g.Name); err != nil {
			return err
		}
		if check != nil {
			return check()
		}
		return nil
	}, func(ctx context.Context, f *Factory, _ *O) error {
		sub, c, err := f.subscriptionFor(ctx)
		if err != nil {
			return err
		}
		return run(ctx, sub, c)
	})
}

// GroupsShowOptions are the parsed flags of `groups show`.
type GroupsShowOptions = groupArgOptions

// NewCmdGroupsShow builds `azmsi groups show NAME`.
func NewCmdGroupsShow(f *Factory, runF func(*GroupsShowOptions) error) *cobra.Command {
	opts := &GroupsShowOptions{}
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show one resource group",
		Args:  exactArgs(1, "the resource group NAME"),
		RunE: groupRunE(f, opts, runF, opts, &opts.Output, nil, func(ctx context.Context, sub string, c *arm.Client) error {
			g, err := c.GetResourceGroup(ctx, sub, opts.Name)
			if err != nil {
				return err
			}
			return opts.Output.print(f.IO.Out, g, groupColumns)
		}),
	}
	addOutputFlags(cmd.Flags(), &opts.Output, "table", "table", "json", "tsv")
	return cmd
}

// GroupsExistsOptions are the parsed flags of `groups exists`.
type GroupsExistsOptions = groupArgOptions

// NewCmdGroupsExists builds `azmsi groups exists NAME`: prints true or
// false (exit 0 either way), like `az group exists`.
func NewCmdGroupsExists(f *Factory, runF func(*GroupsExistsOptions) error) *cobra.Command {
	opts := &GroupsExistsOptions{}
	return &cobra.Command{
		Use:   "exists NAME",
		Short: "Print true if the resource group exists, else false",
		Args:  exactArgs(1, "the resource group NAME"),
		RunE: groupRunE(f, opts, runF, opts, nil, nil, func(ctx context.Context, sub string, c *arm.Client) error {
			ok, err := c.ResourceGroupExists(ctx, sub, opts.Name)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(f.IO.Out, ok)
			return err
		}),
	}
}

// GroupsCreateOptions are the parsed flags of `groups create`.
type GroupsCreateOptions struct {
	groupArgOptions
	Location string
	Tags     []string
	tags     map[string]string
}

// NewCmdGroupsCreate builds `azmsi groups create NAME --location L`.
func NewCmdGroupsCreate(f *Factory, runF func(*GroupsCreateOptions) error) *cobra.Command {
	opts := &GroupsCreateOptions{}
	cmd := &cobra.Command{
		Use:   "create NAME --location LOCATION [--tag NAME=VALUE]...",
		Short: "Create a resource group (or update an existing one in place)",
		Example: `  azmsi groups create rg-demo --location eastus
  azmsi groups create rg-demo -l eastus --tag env=dev --tag owner=ops --client-id 22222222-2222-2222-2222-222222222222`,
		Args: exactArgs(1, "the resource group NAME"),
		RunE: groupRunE(f, opts, runF, &opts.groupArgOptions, &opts.Output, func() error {
			if strings.TrimSpace(opts.Location) == "" {
				return flagErrorf("--location is required (e.g. --location eastus)")
			}
			var err error
			opts.tags, err = parseTags(opts.Tags)
			return err
		}, func(ctx context.Context, sub string, c *arm.Client) error {
			g, _, err := c.CreateOrUpdateResourceGroup(ctx, sub, opts.Name, arm.ResourceGroup{Location: opts.Location, Tags: opts.tags})
			if err != nil {
				return err
			}
			return opts.Output.print(f.IO.Out, g, groupColumns)
		}),
	}
	cmd.Flags().StringVarP(&opts.Location, "location", "l", "", "Azure region, e.g. eastus (required)")
	cmd.Flags().StringArrayVar(&opts.Tags, "tag", nil, "tag NAME=VALUE (repeatable)")
	addOutputFlags(cmd.Flags(), &opts.Output, "table", "table", "json", "tsv")
	return cmd
}

// GroupsUpdateOptions are the parsed flags of `groups update`.
type GroupsUpdateOptions struct {
	groupArgOptions
	Tags       []string
	RemoveTags []string
	tags       map[string]string
}

// NewCmdGroupsUpdate builds `azmsi groups update NAME --tag k=v`.
func NewCmdGroupsUpdate(f *Factory, runF func(*GroupsUpdateOptions) error) *cobra.Command {
	opts := &GroupsUpdateOptions{}
	cmd := &cobra.Command{
		Use:     "update NAME [--tag NAME=VALUE]... [--remove-tag NAME]...",
		Short:   "Add, change or remove tags of a resource group (other tags are kept)",
		Example: `  azmsi groups update rg-demo --tag owner=ops --remove-tag env`,
		Args:    exactArgs(1, "the resource group NAME"),
		RunE: groupRunE(f, opts, runF, &opts.groupArgOptions, &opts.Output, func() error {
			if len(opts.Tags) == 0 && len(opts.RemoveTags) == 0 {
				return flagErrorf("nothing to update: pass --tag NAME=VALUE or --remove-tag NAME")
			}
			var err error
			opts.tags, err = parseTags(opts.Tags)
			return err
		}, func(ctx context.Context, sub string, c *arm.Client) error {
			return groupsUpdateRun(ctx, f, opts, sub, c)
		}),
	}
	cmd.Flags().StringArrayVar(&opts.Tags, "tag", nil, "set tag NAME=VALUE (repeatable)")
	cmd.Flags().StringArrayVar(&opts.RemoveTags, "remove-tag", nil, "remove tag NAME (repeatable)")
	addOutputFlags(cmd.Flags(), &opts.Output, "table", "table", "json", "tsv")
	return cmd
}

func groupsUpdateRun(ctx context.Context, f *Factory, opts *GroupsUpdateOptions, sub string, c *arm.Client) error {
	// PATCH replaces the whole tag map, so merge into what is there.
	g, err := c.GetResourceGroup(ctx, sub, opts.Name)
	if err != nil {
		return err
	}
	tags := maps.Clone(g.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	maps.Copy(tags, opts.tags)
	for _, k := range opts.RemoveTags {
		for have := range tags {
			if strings.EqualFold(have, k) { // tag names are case-insensitive in ARM
				delete(tags, have)
			}
		}
	}
	g, err = c.UpdateResourceGroupTags(ctx, sub, opts.Name, tags)
	if err != nil {
		return err
	}
	return opts.Output.print(f.IO.Out, g, groupColumns)
}

// GroupsDeleteOptions are the parsed flags of `groups delete`.
type GroupsDeleteOptions struct {
	groupArgOptions
	Yes    bool
	NoWait bool
}

// NewCmdGroupsDelete builds `azmsi groups delete NAME`.
func NewCmdGroupsDelete(f *Factory, runF func(*GroupsDeleteOptions) error) *cobra.Command {
	opts := &GroupsDeleteOptions{}
	cmd := &cobra.Command{
		Use:   "delete NAME [--yes] [--no-wait]",
		Short: "Delete a resource group and everything in it",
		Long: `Delete a resource group. Without --yes, azmsi asks when stdin is a terminal
and refuses otherwise. It waits until ARM reports the deletion finished
unless --no-wait is given. The table output is one line saying what
happened; json and tsv print nothing, as 'az group delete' does.`,
		Example: `  azmsi groups delete rg-demo --yes
  azmsi groups delete rg-demo --yes --no-wait && azmsi groups exists rg-demo`,
		Args: exactArgs(1, "the resource group NAME"),
		RunE: groupRunE(f, opts, runF, &opts.groupArgOptions, &opts.Output, func() error {
			if !opts.Yes && !f.IO.CanPrompt() {
				return flagErrorf("deleting resource group %q needs confirmation: pass --yes", opts.Name)
			}
			return nil
		}, func(ctx context.Context, sub string, c *arm.Client) error {
			return groupsDeleteRun(ctx, f, opts, sub, c)
		}),
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&opts.NoWait, "no-wait", false, "return once ARM accepted the deletion")
	addFormatFlag(cmd.Flags(), &opts.Output, "table", "table", "json", "tsv")
	return cmd
}

func groupsDeleteRun(ctx context.Context, f *Factory, opts *GroupsDeleteOptions, sub string, c *arm.Client) error {
	if !opts.Yes {
		fmt.Fprintf(f.IO.Out, "Delete resource group %q in subscription %s and everything in it? [y/N] ", opts.Name, sub)
		line, _ := bufio.NewReader(f.IO.In).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			return errors.New("deletion cancelled")
		}
	}
	p, err := c.BeginDeleteResourceGroup(ctx, sub, opts.Name)
	if err != nil {
		return err
	}
	msg := "deletion of " + opts.Name + " started; check with azmsi groups exists " + opts.Name
	if !opts.NoWait {
		if _, err := p.Wait(ctx); err != nil {
			return err
		}
		msg = "deleted resource group " + opts.Name
	}
	if opts.Output.Format != "table" {
		return nil // like az group delete: nothing to parse
	}
	_, err = fmt.Fprintln(f.IO.Out, msg)
	return err
}
