package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	"github.com/azmsi/azmsi/internal/keyvaultclient"
)

// The audiences `rest --resource` accepts, by family. A token goes only to
// the hosts of its own family: ARM's to the ARM endpoint (the default
// path), Key Vault's to vaults.
var armAudiences = []string{"https://management.azure.com", "https://management.core.windows.net"}

func isKeyVaultResource(r string) bool {
	return strings.EqualFold(strings.TrimSuffix(r, "/"), keyvaultclient.Resource)
}

// checkRestResource validates --resource and, for a data plane, PATH.
func checkRestResource(opts *RestOptions) error {
	r := strings.TrimSpace(opts.Resource)
	if r == "" {
		return nil
	}
	for _, a := range armAudiences {
		if strings.EqualFold(strings.TrimSuffix(r, "/"), a) {
			opts.Resource = "" // ARM: the default path
			return nil
		}
	}
	if !isKeyVaultResource(r) {
		return flagErrorf("--resource %q: azmsi rest sends a token only to the hosts of its audience, and knows two: ARM (the default) and Key Vault (https://vault.azure.net, for *.vault.azure.net)", r)
	}
	if opts.Wait {
		return flagErrorf("--wait is for ARM long-running operations; Key Vault answers at once")
	}
	u, err := url.Parse(opts.Path)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return flagErrorf("with --resource %s, PATH is a full vault URL such as https://kv1.vault.azure.net/secrets", keyvaultclient.Resource)
	}
	return nil
}

// restDataPlaneRun sends the request to Key Vault; the host check is
// keyvaultclient's, made before any token is fetched.
func restDataPlaneRun(ctx context.Context, f *Factory, opts *RestOptions) error {
	kv, err := f.keyVault()
	if err != nil {
		return err
	}
	u, _ := url.Parse(opts.Path) // checked in checkRestResource
	if opts.APIVersion != "" {
		q := u.Query()
		q.Set("api-version", opts.APIVersion)
		u.RawQuery = q.Encode()
	}
	if !keyvaultclient.AllowedHost(u.Host, kv.Suffix()) {
		return flagErrorf("%q is not a Key Vault host: a token for %s goes only to *%s%s", u.Host, keyvaultclient.Resource, keyvaultclient.PublicSuffix, suffixNote(kv.Suffix()))
	}
	if opts.Paginate {
		values := []json.RawMessage{}
		next := u.String()
		for pages := 0; next != ""; pages++ {
			if pages == 10000 {
				return errors.New("--paginate: the vault sent more than 10000 pages; giving up (drop --paginate and follow nextLink page by page)")
			}
			resp, err := kv.Do(ctx, opts.Method, next, nil)
			if err != nil {
				return err
			}
			var page struct {
				Value    []json.RawMessage `json:"value"`
				NextLink *string           `json:"nextLink"`
			}
			if err := json.Unmarshal(resp.Body, &page); err != nil {
				return errors.New("--paginate: the vault's answer is not a list with value and nextLink; --paginate is for listings such as /secrets, drop it for a single object")
			}
			values = append(values, page.Value...)
			next = ""
			if page.NextLink != nil {
				next = *page.NextLink
			}
		}
		return opts.Output.print(f.IO.Out, map[string]any{"value": values}, nil)
	}
	resp, err := kv.Do(ctx, opts.Method, u.String(), opts.body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(resp.Body)) == 0 {
		return nil
	}
	if !json.Valid(resp.Body) {
		_, err := f.IO.Out.Write(resp.Body)
		return err
	}
	return opts.Output.print(f.IO.Out, json.RawMessage(resp.Body), nil)
}

func suffixNote(s string) string {
	if s == keyvaultclient.PublicSuffix {
		return ""
	}
	return " or *" + s
}
