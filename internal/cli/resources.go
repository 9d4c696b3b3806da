package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/azmsi/azmsi/arm"
)

// NewCmdResources builds `azmsi resources` (alias `resource`).
func NewCmdResources(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "resources",
		Aliases: []string{"resource"},
		Short:   "List, show, create and delete ARM resources of any type",
		Long: `Manage resources of any type by their ARM resource ID, with the managed identity.

IDs may name child resources (.../virtualNetworks/v/subnets/s) and extension
resources (.../virtualMachines/vm/providers/Microsoft.Authorization/locks/l).
show and delete find the api-version from the resource's provider, as az
does, unless --api-version is given; create needs it. 'resources list' uses
the subscription that 'azmsi groups --help' describes; with several visible
and none chosen (and no -g), it lists the resources of all of them.`,
		Args: noArgs,
		RunE: helpRunE,
	}
	f.addIdentityFlags(cmd.PersistentFlags())
	f.addARMFlags(cmd.PersistentFlags())
	cmd.AddCommand(
		NewCmdResourcesList(f, nil),
		NewCmdResourcesShow(f, nil),
		NewCmdResourcesCreate(f, nil),
		NewCmdResourcesDelete(f, nil),
	)
	return cmd
}

var resourceColumns = []column{
	field("Name", "name"),
	{Header: "ResourceGroup", Get: func(m map[string]any) string {
		id, _ := m["id"].(string)
		if r, err := arm.ParseResourceID(id); err == nil {
			return r.ResourceGroup
		}
		return ""
	}},
	field("Location", "location"),
	field("Type", "type"),
}

var resourceAcrossColumns = acrossColumns(resourceColumns)

// rawResource is what -o json prints for a resource: ARM's JSON as it came,
// every field included (as az resource show prints it).
func rawResource(r arm.Resource) json.RawMessage {
	if len(r.Raw) > 0 {
		return r.Raw
	}
	b, _ := json.Marshal(r) // a Resource always marshals
	return b
}

// parseResourceArg checks a resource ID argument before any request.
func parseResourceArg(id string) (arm.ResourceID, error) {
	if why := placeholderReason(id); why != "" {
		return arm.ResourceID{}, flagErrorf("resource ID %q is not usable: %s", id, why)
	}
	rid, err := arm.ParseResourceID(id)
	if err != nil {
		return rid, asFlagError(err)
	}
	return rid, nil
}

// ResourcesListOptions are the parsed flags of `resources list`.
type ResourcesListOptions struct {
	ResourceGroup string
	ResourceType  string
	Tag           string
	Output        OutputOptions

	list arm.ListResourcesOptions
}

// NewCmdResourcesList builds `azmsi resources list`.
func NewCmdResourcesList(f *Factory, runF func(*ResourcesListOptions) error) *cobra.Command {
	opts := &ResourcesListOptions{}
	cmd := &cobra.Command{
		Use:     "list [--resource-group RG] [--resource-type TYPE] [--tag NAME=VALUE]",
		Aliases: []string{"ls"},
		Short:   "List the resources of the subscription (of every visible one when none is chosen) or of one resource group",
		Long: `List resources, as 'az resource list' does. ARM cannot combine a tag filter
with a type filter, and returns the resources a tag filter selects without
their tags.`,
		Example: `  azmsi resources list -g rg-web
  azmsi resources list --resource-type Microsoft.KeyVault/vaults -o json
  azmsi resources list --tag env=prod --query "[].id" -o tsv`,
		Args: noArgs,
		RunE: identityRunE(f, opts, runF, &opts.Output, func(*cobra.Command, []string) error {
			return opts.parse()
		}, resourcesListRun),
	}
	cmd.Flags().StringVarP(&opts.ResourceGroup, "resource-group", "g", "", "only the resources of this group")
	cmd.Flags().StringVar(&opts.ResourceType, "resource-type", "", "only resources of this type, e.g. Microsoft.Network/virtualNetworks")
	cmd.Flags().StringVar(&opts.Tag, "tag", "", "only resources with this tag: NAME=VALUE, or NAME (or NAME=) for any value")
	addOutputFlags(cmd.Flags(), &opts.Output, "table", "table", "json", "tsv")
	return cmd
}

func (o *ResourcesListOptions) parse() error {
	if o.ResourceGroup != "" {
		if err := checkGroupName(o.ResourceGroup); err != nil {
			return err
		}
		o.list.ResourceGroup = o.ResourceGroup
	}
	if o.ResourceType != "" && o.Tag != "" {
		return flagErrorf("--tag cannot be combined with --resource-type: ARM allows a tag filter only on its own; filter one way and use --query for the other")
	}
	if t := strings.TrimSpace(o.ResourceType); o.ResourceType != "" {
		ns, typ, ok := strings.Cut(t, "/")
		if !ok || ns == "" || typ == "" || strings.ContainsAny(t, " '?#") {
			return flagErrorf("--resource-type %q: want NAMESPACE/TYPE, e.g. Microsoft.Network/virtualNetworks", o.ResourceType)
		}
		o.list.Filter = arm.ResourceTypeFilter(t)
	}
	if o.Tag != "" {
		k, v, err := parseTag(o.Tag)
		if err != nil {
			return err
		}
		o.list.Filter = tagListFilter(k, v)
	}
	return nil
}

func resourcesListRun(ctx context.Context, f *Factory, opts *ResourcesListOptions) error {
	c, sub, several, err := f.listScope(ctx)
	if err != nil {
		return err
	}
	if several != nil {
		if opts.ResourceGroup != "" {
			// A group name is no ID: it may exist in one of them, or in several.
			return withHint(&errSeveralSubscriptions{ids: several}, "-g names a group in one subscription; pass --subscription too")
		}
		res, err := c.ResourcesAcross(ctx, several, &opts.list)
		if err != nil {
			return err
		}
		return printAcross(f, &opts.Output, resourceAcrossColumns, len(res), func(i int) (string, []json.RawMessage, error) {
			raw := make([]json.RawMessage, len(res[i].Resources))
			for j, r := range res[i].Resources {
				raw[j] = rawResource(r)
			}
			return res[i].SubscriptionID, raw, res[i].Err
		})
	}
	out := []json.RawMessage{}
	for r, err := range c.Resources(ctx, sub, &opts.list) {
		if err != nil {
			return err
		}
		out = append(out, rawResource(r))
	}
	return opts.Output.print(f.IO.Out, out, resourceColumns)
}

// resourceArgOptions is shared by the commands on one resource ID.
type resourceArgOptions struct {
	ID         string
	APIVersion string
	Output     OutputOptions

	rid arm.ResourceID
}

// resourceRunE is identityRunE for the commands on one resource ID: the ID
// is checked with the other usage errors (then check, which may be nil),
// and run gets the ARM client and the api-version (--api-version, else the
// provider's).
func resourceRunE[O any](f *Factory, opts *O, runF func(*O) error, r *resourceArgOptions,
	check func() error,
	run func(ctx context.Context, c *arm.Client, apiVersion string) error,
) func(*cobra.Command, []string) error {
	return identityRunE(f, opts, runF, &r.Output, func(_ *cobra.Command, args []string) error {
		r.ID = args[0]
		rid, err := parseResourceArg(r.ID)
		if err != nil {
			return err
		}
		r.rid = rid
		if check != nil {
			return check()
		}
		return nil
	}, func(ctx context.Context, f *Factory, _ *O) error {
		c, err := f.ARM()
		if err != nil {
			return err
		}
		v := r.APIVersion
		if v == "" {
			if v, err = c.ResourceAPIVersion(ctx, r.ID); err != nil {
				return withHint(err, "pass --api-version with a version the provider of %s supports", r.rid.Type())
			}
		}
		return run(ctx, c, v)
	})
}

// ResourcesShowOptions are the parsed flags of `resources show`.
type ResourcesShowOptions = resourceArgOptions

// NewCmdResourcesShow builds `azmsi resources show ID`.
func NewCmdResourcesShow(f *Factory, runF func(*ResourcesShowOptions) error) *cobra.Command {
	opts := &ResourcesShowOptions{}
	cmd := &cobra.Command{
		Use:   "show ID [--api-version V]",
		Short: "Show one resource",
		Example: `  azmsi resources show /subscriptions/SUB/resourceGroups/rg-web/providers/Microsoft.KeyVault/vaults/kv-web
  azmsi resources show ID --api-version 2024-11-01 --query properties.vaultUri -o tsv`,
		Args: exactArgs(1, "the resource ID"),
		RunE: resourceRunE(f, opts, runF, opts, nil, func(ctx context.Context, c *arm.Client, v string) error {
			r, err := c.GetResource(ctx, opts.ID, v)
			if err != nil {
				return err
			}
			return opts.Output.print(f.IO.Out, rawResource(r), resourceColumns)
		}),
	}
	cmd.Flags().StringVar(&opts.APIVersion, "api-version", "", "the resource provider's api-version (default: the newest stable one the provider lists)")
	addOutputFlags(cmd.Flags(), &opts.Output, "json", "json", "table", "tsv")
	return cmd
}

// ResourcesCreateOptions are the parsed flags of `resources create`.
type ResourcesCreateOptions struct {
	resourceArgOptions
	Body string
	body []byte
}

// NewCmdResourcesCreate builds `azmsi resources create ID --api-version V --body JSON|@FILE`.
func NewCmdResourcesCreate(f *Factory, runF func(*ResourcesCreateOptions) error) *cobra.Command {
	opts := &ResourcesCreateOptions{}
	cmd := &cobra.Command{
		Use:   "create ID --api-version V --body JSON|@FILE|-",
		Short: "Create a resource, or replace an existing one, and wait until ARM has it",
		Long: `PUT the resource's JSON at ID (like 'az resource create --id ID --properties ...',
but the body is the whole resource: location, tags, sku, properties) and wait
for a long-running creation to finish. Prints the resource.`,
		Example: `  azmsi resources create /subscriptions/SUB/resourceGroups/rg-web/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-id \
      --api-version 2023-01-31 --body '{"location":"eastus"}'
  azmsi resources create ID --api-version 2024-11-01 --body @vault.json`,
		Args: exactArgs(1, "the resource ID"),
		RunE: resourceRunE(f, opts, runF, &opts.resourceArgOptions, func() error {
			if strings.TrimSpace(opts.APIVersion) == "" {
				return flagErrorf("--api-version is required: the version of the resource's provider, e.g. 2023-01-31 for Microsoft.ManagedIdentity/userAssignedIdentities")
			}
			if opts.Body == "" {
				return flagErrorf("--body is required: the resource's JSON, @FILE, or - for stdin (e.g. --body '{\"location\":\"eastus\"}')")
			}
			b, err := readBody(opts.Body, f.IO.In)
			if err != nil {
				return err
			}
			var obj map[string]json.RawMessage
			if json.Unmarshal(b, &obj) != nil || obj == nil {
				return flagErrorf("--body must be a JSON object such as {\"location\":\"eastus\",\"properties\":{}}")
			}
			opts.body = b
			return nil
		}, func(ctx context.Context, c *arm.Client, v string) error {
			r, err := c.CreateOrUpdateResource(ctx, opts.ID, v, opts.body)
			if err != nil {
				return err
			}
			return opts.Output.print(f.IO.Out, rawResource(r), resourceColumns)
		}),
	}
	cmd.Flags().StringVar(&opts.APIVersion, "api-version", "", "the resource provider's api-version (required)")
	cmd.Flags().StringVar(&opts.Body, "body", "", "the resource's JSON: text, @FILE, or - for stdin (required)")
	addOutputFlags(cmd.Flags(), &opts.Output, "json", "json", "table", "tsv")
	return cmd
}

// ResourcesDeleteOptions are the parsed flags of `resources delete`.
type ResourcesDeleteOptions struct {
	resourceArgOptions
	NoWait bool
}

// NewCmdResourcesDelete builds `azmsi resources delete ID`.
func NewCmdResourcesDelete(f *Factory, runF func(*ResourcesDeleteOptions) error) *cobra.Command {
	opts := &ResourcesDeleteOptions{}
	cmd := &cobra.Command{
		Use:   "delete ID [--api-version V] [--no-wait]",
		Short: "Delete a resource",
		Long: `Delete a resource and, unless --no-wait is given, wait until ARM reports the
deletion finished. Like 'az resource delete' it does not ask first, and a
resource that does not exist is no error. The table output is one line
saying what happened; json and tsv print nothing.`,
		Example: `  azmsi resources delete /subscriptions/SUB/resourceGroups/rg-web/providers/Microsoft.KeyVault/vaults/kv-web`,
		Args:    exactArgs(1, "the resource ID"),
		RunE: resourceRunE(f, opts, runF, &opts.resourceArgOptions, nil, func(ctx context.Context, c *arm.Client, v string) error {
			p, err := c.BeginDeleteResource(ctx, opts.ID, v)
			if err != nil {
				return err
			}
			msg := "deletion of " + opts.ID + " started"
			if !opts.NoWait {
				if _, err := p.Wait(ctx); err != nil {
					return err
				}
				msg = "deleted " + opts.ID
			}
			if opts.Output.Format != "table" {
				return nil
			}
			_, err = fmt.Fprintln(f.IO.Out, msg)
			return err
		}),
	}
	cmd.Flags().StringVar(&opts.APIVersion, "api-version", "", "the resource provider's api-version (default: the newest stable one the provider lists)")
	cmd.Flags().BoolVar(&opts.NoWait, "no-wait", false, "return once ARM accepted the deletion")
	addFormatFlag(cmd.Flags(), &opts.Output, "table", "table", "json", "tsv")
	return cmd
}
