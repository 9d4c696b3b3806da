// Package cli implements the azmsi command: managed-identity tokens
// (token, whoami), Azure Resource Manager calls made with them
// (subscriptions, groups, rest), and the local emulator (emulator, demo).
//
// Each command lives in its own file as NewCmdX(f, runF) + XOptions + xRun:
// NewCmdX only parses and validates flags, then calls runF (tests capture
// the options) or xRun (the work).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/azmsi/azmsi/identity"
)

// Main runs azmsi with args and returns the process exit code. SIGINT and
// SIGTERM cancel the command's context.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Execute(ctx, NewFactory(SystemIOStreams(stdin, stdout, stderr)), args)
}

// Execute runs one command line with f and returns its exit code, having
// printed any error on f.IO.ErrOut.
func Execute(ctx context.Context, f *Factory, args []string) int {
	root := NewCmdRoot(f)
	// Cobra's own usage errors (unknown commands, bad or missing flags and
	// arguments) all happen before the pre-run hook; an error returned
	// before the hook ran is therefore a usage error, whatever its text.
	ran := false
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		ran = true
		return refuseEmptyFlags(cmd)
	}
	root.SetArgs(args)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	cmd, err := root.ExecuteContextC(ctx)
	f.Close()
	if err == nil {
		return ExitOK
	}
	if !ran {
		err = asFlagError(err)
	}
	return reportError(f.IO.ErrOut, cmd, err)
}

// exitCode classifies err.
func exitCode(err error) int {
	var se *silentError
	var fe *FlagError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &se):
		return se.code
	case errors.As(err, &fe):
		return ExitUsage
	case errors.Is(err, identity.ErrUnavailable):
		return ExitUnavailable
	}
	return ExitError
}

// reportError prints err as "azmsi: <message>" plus at most one hint line.
func reportError(w io.Writer, cmd *cobra.Command, err error) int {
	code := exitCode(err)
	var se *silentError
	if errors.As(err, &se) {
		return code
	}
	msg, armAdvice := armHint(err, strings.TrimSpace(err.Error()))
	if len(msg) > maxMessage {
		// Whatever echoed an input whole (a library's message, say), the
		// terminal gets a bounded line.
		msg = clipTo(msg, maxMessage)
	}
	fmt.Fprintf(w, "azmsi: %s\n", msg)
	var he *hintError
	switch {
	case errors.As(err, &he):
		fmt.Fprintf(w, "hint: %s\n", he.hint)
	case armAdvice != "":
		fmt.Fprintf(w, "hint: %s\n", armAdvice)
	case code == ExitUsage && cmd != nil:
		fmt.Fprintf(w, "hint: run '%s --help' for usage\n", cmd.CommandPath())
	}
	// ErrUnavailable needs no hint here: identity's message already says
	// what to check for the host it tried (off Azure: the emulator variable).
	return code
}

// NewCmdRoot builds the command tree.
func NewCmdRoot(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "azmsi",
		Short: "Azure managed-identity tokens, ARM calls made with them, and a local emulator of both",
		Long: `azmsi gets tokens from the managed identity of the Azure host it runs on,
calls Azure Resource Manager with them, and emulates both locally.

Start here, no Azure needed:
  azmsi demo`,
		Example: `  azmsi emulator --env-file emulator.env    # local IMDS + ARM; load the file with: set -a; . ./emulator.env; set +a
  azmsi whoami                              # which identity answers here
  azmsi token -o tsv                        # the bare token, for curl -H "Authorization: Bearer ..."
  azmsi groups list
  azmsi doctor                              # why a token cannot be had here, and what to do`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          noArgs,
		RunE:          helpRunE,
		Annotations: map[string]string{
			"help:environment": envHelp,
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &FlagError{err: err} })
	root.PersistentFlags().BoolVar(&f.debug, "debug", false, "print a redacted HTTP trace on stderr")
	root.PersistentFlags().BoolVar(&f.noBroker, "no-broker", false, "get tokens from the host's endpoint even when a token broker listens ($AZMSI_BROKER, else "+DefaultBrokerSocket+")")
	root.CompletionOptions.DisableDefaultCmd = true

	root.AddCommand(
		NewCmdToken(f, nil),
		NewCmdWhoami(f, nil),
		NewCmdDoctor(f, nil),
		NewCmdSubscriptions(f),
		NewCmdGroups(f),
		NewCmdRoles(f),
		NewCmdResources(f),
		NewCmdRest(f, nil),
		NewCmdSecret(f),
		NewCmdEmulator(f, nil),
		NewCmdDemo(f, nil),
		NewCmdBroker(f, nil),
		NewCmdVersion(f),
	)
	root.SetHelpTemplate(root.HelpTemplate() + `{{with .Annotations}}{{with index . "help:environment"}}
Environment:
{{.}}{{end}}{{end}}`)
	return root
}

const envHelp = `  AZURE_CLIENT_ID                    client ID of the user-assigned identity (if no identity flag)
  AZURE_POD_IDENTITY_AUTHORITY_HOST  identity endpoint base URL (the emulator's IMDS)
  AZMSI_ARM_ENDPOINT                 ARM base URL (the emulator's ARM)
  AZMSI_KEYVAULT_DNS_SUFFIX          vault host suffix for --vault NAME (the emulator's: .vault.localhost:PORT)
  AZMSI_BROKER                       token broker to get tokens from (unix:///path or http://127.0.0.1:PORT;
                                     off: none); default: ` + DefaultBrokerSocket + ` when a broker listens there
  AZURE_SUBSCRIPTION_ID              subscription used when --subscription is not given
  SSL_CERT_FILE                      extra CA certificates (the emulator's CA)
`

// noArgs refuses positional arguments with a usage error (cobra's own
// check reports unknown subcommands of nested commands as plain errors).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		if cmd.HasSubCommands() {
			return flagErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
		}
		return flagErrorf("%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}

func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return flagErrorf("%s needs %s", cmd.CommandPath(), what)
		}
		return nil
	}
}

func maxArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return flagErrorf("%s takes at most %s, got %d arguments", cmd.CommandPath(), what, len(args))
		}
		return nil
	}
}

// helpRunE makes a command group print its help when run bare.
func helpRunE(cmd *cobra.Command, _ []string) error {
	return cmd.Help()
}
