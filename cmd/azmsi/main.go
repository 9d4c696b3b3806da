// Command azmsi gets Azure managed-identity tokens, calls Azure Resource
// Manager with them, and runs a local emulator of both. See README.md.
package main

import (
	"os"

	"github.com/azmsi/azmsi/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
