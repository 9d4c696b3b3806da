package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/azmsi/azmsi/internal/keyvaultclient"
)

// NewCmdSecret builds `azmsi secret`: Key Vault secrets read and written
// with the managed identity.
func NewCmdSecret(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secret",
		Short: "Show, list and set Key Vault secrets with the managed identity",
		Long: `Read and write Key Vault secrets with a token of the managed identity for
https://vault.azure.net.

--vault is a vault name (kv1 → https://kv1.vault.azure.net) or the vault's URL.
$` + keyvaultclient.SuffixEnv + ` replaces ".vault.azure.net" (the emulator's env
file sets it). The token is sent to that vault and nowhere else.

Reading needs the Key Vault Secrets User role (or an access policy with get);
writing needs Key Vault Secrets Officer (or set).`,
		Example: `  export DB_PASSWORD=$(azmsi secret show --vault kv1 db-password -o tsv)
  azmsi secret list --vault kv1 -o table
  printf '%s' "$NEW_PASSWORD" | azmsi secret set --vault kv1 db-password --value-file -`,
		Args: noArgs,
		RunE: helpRunE,
	}
	f.addIdentityFlags(cmd.PersistentFlags())
	cmd.AddCommand(NewCmdSecretShow(f, nil), NewCmdSecretList(f, nil), NewCmdSecretSet(f, nil))
	return cmd
}

// keyVault builds the secrets client of this invocation.
func (f *Factory) keyVault() (*keyvaultclient.Client, error) {
	return keyvaultclient.New(keyvaultclient.Options{
		Token: func(ctx context.Context, resource string) (string, error) {
			tok, _, err := f.token(ctx, resource)
			return tok.AccessToken, err
		},
		HTTPClient: f.HTTPClient,
		Getenv:     f.getenv,
		Logger:     f.Logger(),
		UserAgent:  "azmsi-cli",
	})
}

// secretJSON is the printed form of a secret (az keyvault secret show's
// fields, value included only by show).
type secretJSON struct {
	Value       *string                   `json:"value,omitempty"`
	ID          string                    `json:"id"`
	Name        string                    `json:"name"`
	ContentType string                    `json:"contentType,omitempty"`
	Attributes  keyvaultclient.Attributes `json:"attributes"`
	Tags        map[string]string         `json:"tags"`
}

var secretColumns = []column{
	field("Name", "name"),
	field("Enabled", "attributes.enabled"),
	field("ContentType", "contentType"),
	field("Updated", "attributes.updated"),
}

func checkVaultFlag(vault string) error {
	if vault == "" {
		return flagErrorf("--vault is required: a vault name (e.g. kv1) or its URL")
	}
	return nil
}

// SecretShowOptions are the parsed flags of `secret show`.
type SecretShowOptions struct {
	Vault, Name, Version string
	Output               OutputOptions
}

// NewCmdSecretShow builds `azmsi secret show`.
func NewCmdSecretShow(f *Factory, runF func(*SecretShowOptions) error) *cobra.Command {
	opts := &SecretShowOptions{}
	cmd := &cobra.Command{
		Use:   "show --vault NAME SECRET [--version V]",
		Short: "Print a secret (with -o tsv: its value alone)",
		Long: `Print a secret's value and attributes, as 'az keyvault secret show'. With
-o tsv only the value is printed, for use in a shell. The latest version
unless --version.`,
		Example: `  export DB_PASSWORD=$(azmsi secret show --vault kv1 db-password -o tsv)
  azmsi secret show --vault https://kv1.vault.azure.net db-password --version 4387e9f3d6e14c459867679a90fd0f79`,
		Args: exactArgs(1, "a SECRET name"),
		RunE: identityRunE(f, opts, runF, &opts.Output, func(_ *cobra.Command, args []string) error {
			opts.Name = args[0]
			return checkVaultFlag(opts.Vault)
		}, secretShowRun),
	}
	cmd.Flags().StringVar(&opts.Vault, "vault", "", "vault name or URL")
	cmd.Flags().StringVar(&opts.Version, "version", "", "secret version (32 hex characters); default the latest")
	addOutputFlags(cmd.Flags(), &opts.Output, "json", "json", "tsv", "table")
	return cmd
}

func secretShowRun(ctx context.Context, f *Factory, opts *SecretShowOptions) error {
	kv, err := f.keyVault()
	if err != nil {
		return err
	}
	s, err := kv.GetSecret(ctx, opts.Vault, opts.Name, opts.Version)
	if err != nil {
		return err
	}
	if opts.Output.Format == "tsv" && opts.Output.Query == "" {
		_, err := io.WriteString(f.IO.Out, s.Value+"\n")
		return err
	}
	v := s.Value
	out := secretJSON{Value: &v, ID: s.ID, Name: s.Name(), ContentType: s.ContentType, Attributes: s.Attributes, Tags: s.Tags}
	if out.Tags == nil {
		out.Tags = map[string]string{}
	}
	return opts.Output.print(f.IO.Out, out, append([]column{field("Value", "value")}, secretColumns...))
}

// SecretListOptions are the parsed flags of `secret list`.
type SecretListOptions struct {
	Vault  string
	Output OutputOptions
}

// NewCmdSecretList builds `azmsi secret list`.
func NewCmdSecretList(f *Factory, runF func(*SecretListOptions) error) *cobra.Command {
	opts := &SecretListOptions{}
	cmd := &cobra.Command{
		Use:     "list --vault NAME",
		Short:   "List a vault's secrets (names and attributes, no values)",
		Example: `  azmsi secret list --vault kv1 -o table`,
		Args:    noArgs,
		RunE: identityRunE(f, opts, runF, &opts.Output, func(_ *cobra.Command, _ []string) error {
			return checkVaultFlag(opts.Vault)
		}, secretListRun),
	}
	cmd.Flags().StringVar(&opts.Vault, "vault", "", "vault name or URL")
	addOutputFlags(cmd.Flags(), &opts.Output, "json", "json", "tsv", "table")
	return cmd
}

func secretListRun(ctx context.Context, f *Factory, opts *SecretListOptions) error {
	kv, err := f.keyVault()
	if err != nil {
		return err
	}
	items, err := kv.ListSecrets(ctx, opts.Vault)
	if err != nil {
		return err
	}
	out := make([]secretJSON, 0, len(items))
	for _, it := range items {
		s := secretJSON{ID: it.ID, Name: it.Name(), ContentType: it.ContentType, Attributes: it.Attributes, Tags: it.Tags}
		if s.Tags == nil {
			s.Tags = map[string]string{}
		}
		out = append(out, s)
	}
	return opts.Output.print(f.IO.Out, out, secretColumns)
}

// SecretSetOptions are the parsed flags of `secret set`.
type SecretSetOptions struct {
	Vault, Name, ValueFile, ContentType string
	Output                              OutputOptions

	value string
}

// NewCmdSecretSet builds `azmsi secret set`. The value comes from a file
// or stdin only: a value on the command line would land in shell history
// and in every process listing.
func NewCmdSecretSet(f *Factory, runF func(*SecretSetOptions) error) *cobra.Command {
	opts := &SecretSetOptions{}
	cmd := &cobra.Command{
		Use:   "set --vault NAME SECRET --value-file FILE|-",
		Short: "Store a new version of a secret, its value read from a file or stdin",
		Long: `Store a new version of a secret. The value is the exact content of
--value-file (- for stdin), which must be UTF-8 text of at most 25,600 bytes:
a trailing newline is kept, so prefer printf '%s' to echo. The value is never
taken from the command line and never printed; the output is the new
version's id and attributes.`,
		Example: `  printf '%s' "$NEW_PASSWORD" | azmsi secret set --vault kv1 db-password --value-file -
  azmsi secret set --vault kv1 tls-key --value-file ./key.pem --content-type application/x-pem-file`,
		Args: exactArgs(1, "a SECRET name"),
		RunE: identityRunE(f, opts, runF, &opts.Output, func(_ *cobra.Command, args []string) error {
			opts.Name = args[0]
			if err := checkVaultFlag(opts.Vault); err != nil {
				return err
			}
			if opts.ValueFile == "" {
				return flagErrorf("--value-file is required: a file holding the value, or - for stdin")
			}
			v, err := readSecretValue(opts.ValueFile, f.IO.In)
			if err != nil {
				return err
			}
			opts.value = v
			return nil
		}, secretSetRun),
	}
	cmd.Flags().StringVar(&opts.Vault, "vault", "", "vault name or URL")
	cmd.Flags().StringVar(&opts.ValueFile, "value-file", "", "file holding the value, or - for stdin")
	cmd.Flags().StringVar(&opts.ContentType, "content-type", "", "content type of the value (e.g. text/plain)")
	addOutputFlags(cmd.Flags(), &opts.Output, "json", "json", "tsv", "table")
	return cmd
}

// readSecretValue reads --value-file; its errors never quote the content.
func readSecretValue(path string, stdin io.Reader) (string, error) {
	var r io.Reader = stdin
	if path != "-" {
		fh, err := os.Open(path)
		if err != nil {
			return "", flagErrorf("--value-file: %v", err)
		}
		defer fh.Close()
		r = fh
	}
	b, err := io.ReadAll(io.LimitReader(r, keyvaultclient.MaxValueBytes+1))
	if err != nil {
		return "", fmt.Errorf("reading --value-file: %w", err)
	}
	if len(b) > keyvaultclient.MaxValueBytes {
		return "", flagErrorf("--value-file holds more than %d bytes, Key Vault's limit for a secret value", keyvaultclient.MaxValueBytes)
	}
	if !utf8.Valid(b) {
		return "", flagErrorf("--value-file is not UTF-8 text; Key Vault stores text (base64-encode binary data first)")
	}
	return string(b), nil
}

func secretSetRun(ctx context.Context, f *Factory, opts *SecretSetOptions) error {
	kv, err := f.keyVault()
	if err != nil {
		return err
	}
	s, err := kv.SetSecret(ctx, opts.Vault, opts.Name, opts.value, opts.ContentType)
	if err != nil {
		return err
	}
	out := secretJSON{ID: s.ID, Name: s.Name(), ContentType: s.ContentType, Attributes: s.Attributes, Tags: s.Tags}
	if out.Tags == nil {
		out.Tags = map[string]string{}
	}
	return opts.Output.print(f.IO.Out, out, append([]column{field("ID", "id")}, secretColumns...))
}
