package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/azmsi/azmsi/internal/azhttp"
)

// NewCmdVersion builds `azmsi version`. It prints the version every azmsi
// User-Agent carries (azhttp.Version: -ldflags at release, else the module
// version from the build information, else "dev").
func NewCmdVersion(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the azmsi version",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(f.IO.Out, "azmsi %s (%s, %s/%s)\n", azhttp.Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}
