package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// RestOptions are the parsed flags of `azmsi rest`.
type RestOptions struct {
	Method     string
	Path       string
	APIVersion string
	Body       string
	Paginate   bool
	Wait       bool
	Resource   string // "" = ARM; else a data plane's audience (rest_dataplane.go)
	Output     OutputOptions

	body []byte
}

// NewCmdRest builds `azmsi rest`, a raw ARM call with the managed
// identity's token (like `az rest`, for ARM only).
func NewCmdRest(f *Factory, runF func(*RestOptions) error) *cobra.Command {
	opts := &RestOptions{}
	cmd := &cobra.Command{
		Use:   "rest [-X METHOD] PATH [--api-version V] [--body @FILE|-|JSON] [--paginate] [--wait]",
		Short: "Call any ARM path with the managed identity's token",
		Long: `Send one request to Azure Resource Manager with the managed identity's token.

PATH is relative to the ARM endpoint (/subscriptions/...) or a full URL on it;
the token is never sent anywhere else. {subscriptionId} in PATH is replaced
by the subscription azmsi resolves (see 'azmsi groups --help'). The
api-version comes from --api-version or PATH's query.

--paginate follows nextLink and prints one merged {"value": [...]}.
--wait follows a 201/202 long-running operation to its end and prints its
final answer.

--resource https://vault.azure.net calls Key Vault instead: PATH is a full
vault URL, and the vault token goes only to *.vault.azure.net (or the
suffix in $AZMSI_KEYVAULT_DNS_SUFFIX); any other host is refused before a
token is fetched.`,
		Example: `  azmsi rest /subscriptions --api-version 2022-12-01
  azmsi rest '/subscriptions/{subscriptionId}/resourcegroups' --api-version 2021-04-01 --paginate
  azmsi rest -X PUT '/subscriptions/{subscriptionId}/resourcegroups/rg-x' --api-version 2021-04-01 --body '{"location":"eastus"}'
  azmsi rest -X DELETE '/subscriptions/{subscriptionId}/resourcegroups/rg-x?api-version=2021-04-01' --wait
  azmsi rest --resource https://vault.azure.net https://kv1.vault.azure.net/secrets --api-version 2026-04-01`,
		Args: exactArgs(1, "a PATH such as /subscriptions"),
		RunE: identityRunE(f, opts, runF, &opts.Output, func(_ *cobra.Command, args []string) error {
			opts.Path = args[0]
			opts.Method = strings.ToUpper(strings.TrimSpace(opts.Method))
			switch opts.Method {
			case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodPost, http.MethodDelete:
			default:
				return flagErrorf("unsupported method %q: use GET, HEAD, PUT, PATCH, POST or DELETE", opts.Method)
			}
			if opts.Paginate && opts.Method != http.MethodGet {
				return flagErrorf("--paginate works with GET only")
			}
			if opts.APIVersion == "" && !strings.Contains(strings.ToLower(opts.Path), "api-version=") {
				return flagErrorf("no api-version: pass --api-version (e.g. 2021-04-01 for resource groups) or put ?api-version= in PATH")
			}
			if err := checkRestResource(opts); err != nil {
				return err
			}
			if opts.Body != "" {
				b, err := readBody(opts.Body, f.IO.In)
				if err != nil {
					return err
				}
				opts.body = b
			}
			return nil
		}, restRun),
	}
	cmd.Flags().StringVarP(&opts.Method, "method", "X", "GET", "HTTP method")
	cmd.Flags().StringVar(&opts.APIVersion, "api-version", "", "api-version query parameter")
	cmd.Flags().StringVar(&opts.Body, "body", "", "request body: JSON text, @FILE, or - for stdin")
	cmd.Flags().BoolVar(&opts.Paginate, "paginate", false, "follow nextLink; print one merged {\"value\": [...]}")
	cmd.Flags().BoolVar(&opts.Wait, "wait", false, "follow a 201/202 long-running operation to its end")
	cmd.Flags().StringVar(&opts.Resource, "resource", "", "token audience for a data plane: https://vault.azure.net (PATH is then a vault URL); default ARM")
	addOutputFlags(cmd.Flags(), &opts.Output, "json", "json", "table", "tsv")
	f.addIdentityFlags(cmd.Flags())
	f.addARMFlags(cmd.Flags())
	return cmd
}

// readBody reads --body: @FILE, - (stdin) or literal JSON. The body must be
// JSON: ARM accepts nothing else, and a typo is better caught here.
func readBody(spec string, stdin io.Reader) ([]byte, error) {
	var b []byte
	var err error
	switch {
	case spec == "-":
		b, err = io.ReadAll(io.LimitReader(stdin, 16<<20))
		if err != nil {
			return nil, fmt.Errorf("reading the body from stdin: %w", err)
		}
	case strings.HasPrefix(spec, "@"):
		b, err = os.ReadFile(spec[1:])
		if err != nil {
			return nil, flagErrorf("--body %s: %v", spec, err)
		}
	default:
		b = []byte(spec)
	}
	b = bytes.TrimSpace(b)
	if !json.Valid(b) {
		return nil, flagErrorf("--body is not valid JSON")
	}
	return b, nil
}

func restRun(ctx context.Context, f *Factory, opts *RestOptions) error {
	if opts.Resource != "" {
		return restDataPlaneRun(ctx, f, opts)
	}
	c, err := f.ARM()
	if err != nil {
		return err
	}
	path := opts.Path
	if strings.Contains(path, "{subscriptionId}") {
		sc, err := f.resolveSubscription(ctx)
		if err != nil {
			return err
		}
		// Escaped as well as checked: the ID stays one path segment.
		path = strings.ReplaceAll(path, "{subscriptionId}", url.PathEscape(sc.ID))
	}
	if opts.Paginate {
		values := []json.RawMessage{}
		for v, err := range c.DoPages(ctx, path, opts.APIVersion) {
			if err != nil {
				return err
			}
			values = append(values, v)
		}
		return opts.Output.print(f.IO.Out, map[string]any{"value": values}, nil)
	}
	resp, err := c.Do(ctx, opts.Method, path, opts.APIVersion, opts.body)
	if err != nil {
		return err
	}
	if opts.Wait && (resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusAccepted) {
		p, err := c.PollerFromResponse(resp)
		if err != nil {
			return err
		}
		if resp, err = p.Wait(ctx); err != nil {
			return err
		}
	}
	if resp == nil || len(bytes.TrimSpace(resp.Body)) == 0 {
		return nil
	}
	if !json.Valid(resp.Body) {
		_, err := f.IO.Out.Write(resp.Body)
		return err
	}
	return opts.Output.print(f.IO.Out, json.RawMessage(resp.Body), nil)
}
