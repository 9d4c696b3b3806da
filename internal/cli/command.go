package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// identityRunE builds the RunE of a command that acts as the managed
// identity. It finds every usage error before any network I/O: check (the
// command's own arguments and flags; may be nil), then out (-o and --query;
// nil for commands without them), then the identity flags. With runF set
// (tests) the parsed options go to runF; otherwise run does the work.
func identityRunE[O any](f *Factory, opts *O, runF func(*O) error, out *OutputOptions,
	check func(cmd *cobra.Command, args []string) error,
	run func(ctx context.Context, f *Factory, opts *O) error,
) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if check != nil {
			if err := check(cmd, args); err != nil {
				return err
			}
		}
		if out != nil {
			if err := out.validate(); err != nil {
				return err
			}
		}
		if _, err := f.IdentityID(); err != nil {
			return err
		}
		if runF != nil {
			return runF(opts)
		}
		return run(cmd.Context(), f, opts)
	}
}
