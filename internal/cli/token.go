package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/azmsi/azmsi/identity"
)

// ARMResource is the default token audience: Azure Resource Manager.
const ARMResource = "https://management.azure.com/"

// TokenOptions are the parsed flags of `azmsi token`.
type TokenOptions struct {
	Resource string
	Scope    string
	Output   OutputOptions
}

// NewCmdToken builds `azmsi token`.
func NewCmdToken(f *Factory, runF func(*TokenOptions) error) *cobra.Command {
	opts := &TokenOptions{}
	cmd := &cobra.Command{
		Use:   "token [--resource URI | --scope SCOPE]",
		Short: "Print an access token of the managed identity",
		Long: `Print an access token of the host's managed identity, in the shape of
'az account get-access-token': accessToken, expiresOn (RFC 3339), expires_on
(Unix seconds), tokenType, resource. With -o tsv only the token is printed,
for use in a shell: TOKEN=$(azmsi token -o tsv).

The token is a secret: it is printed on stdout and nowhere else.`,
		Example: `  azmsi token
  azmsi token --scope https://vault.azure.net/.default --client-id 22222222-2222-2222-2222-222222222222
  curl -H "Authorization: Bearer $(azmsi token -o tsv)" ...`,
		Args: noArgs,
		RunE: identityRunE(f, opts, runF, &opts.Output, func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("resource") && cmd.Flags().Changed("scope") {
				return flagErrorf("--resource and --scope are mutually exclusive")
			}
			if opts.Scope != "" {
				if len(opts.Scope) > maxResourceLen {
					return flagErrorf("--scope is %d bytes long; a scope is at most %d", len(opts.Scope), maxResourceLen)
				}
				r, err := identity.ScopeToResource(opts.Scope)
				if err != nil {
					return asFlagError(err)
				}
				opts.Resource = r
			}
			return checkResource(opts.Resource)
		}, tokenRun),
	}
	cmd.Flags().StringVar(&opts.Resource, "resource", ARMResource, "resource (audience) of the token")
	cmd.Flags().StringVar(&opts.Scope, "scope", "", "a single scope such as https://vault.azure.net/.default (instead of --resource)")
	addOutputFlags(cmd.Flags(), &opts.Output, "json", "json", "tsv")
	f.addIdentityFlags(cmd.Flags())
	return cmd
}

// maxResourceLen bounds --resource and --scope: resource URIs are short,
// and a longer one would only make the endpoint refuse the request line
// (431), which says nothing about the endpoint.
const maxResourceLen = 2048

// checkResource refuses, as usage errors, the resources no endpoint would
// take: empty, several scopes, overlong.
func checkResource(r string) error {
	if r == "" {
		return flagErrorf("--resource must not be empty")
	}
	if len(r) > maxResourceLen {
		return flagErrorf("--resource is %d bytes long; a resource URI is at most %d", len(r), maxResourceLen)
	}
	if _, err := identity.ScopeToResource(r); err != nil {
		return asFlagError(err)
	}
	return nil
}

// tokenJSON is the output shape, matching `az account get-access-token`.
type tokenJSON struct {
	AccessToken string `json:"accessToken"`
	ExpiresOn   string `json:"expiresOn"`
	ExpiresOnTS int64  `json:"expires_on"`
	TokenType   string `json:"tokenType"`
	Resource    string `json:"resource"`
}

func tokenRun(ctx context.Context, f *Factory, opts *TokenOptions) error {
	tok, _, err := f.token(ctx, opts.Resource)
	if err != nil {
		return err
	}
	if opts.Output.Format == "tsv" && opts.Output.Query == "" {
		_, err := f.IO.Out.Write([]byte(tok.AccessToken + "\n"))
		return err
	}
	res := tok.Resource
	if res == "" {
		res = opts.Resource
	}
	out := tokenJSON{
		AccessToken: tok.AccessToken,
		ExpiresOn:   tok.ExpiresOn.UTC().Format(time.RFC3339),
		ExpiresOnTS: tok.ExpiresOn.Unix(),
		TokenType:   tok.Type,
		Resource:    res,
	}
	return opts.Output.print(f.IO.Out, out, nil)
}
