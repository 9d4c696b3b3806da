// Command sdk2026 runs the newest Azure SDK for Go majors, unmodified,
// against whatever answers at the real Azure addresses: the interop suite
// runs it inside its network namespace, where 169.254.169.254,
// management.azure.com and the vault names are the emulator. Each
// subcommand prints KEY=VALUE lines that the suite compares with what the
// emulator's world must answer.
//
//	sdk2026 resources   armsubscriptions/v2, armresources/v3 groups and the generic Client
//	sdk2026 rbac        armauthorization/v2: role definitions, the Reader/Contributor story
//	sdk2026 secrets     a vault through ARM, azsecrets refused, then set/get/list with a data role
//	sdk2026 workload    WorkloadIdentityCredential and DefaultAzureCredential in a pod
//	sdk2026 claims      ManagedIdentityCredential on the host the environment names: a claims request
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// The emulator's default world (emulator/internal/config/default.json).
const (
	sub1      = "00000000-0000-0000-0000-000000000001"
	readerCID = "33333333-3333-3333-3333-333333333333"
	readerOID = "33333333-3333-3333-3333-aaaaaaaaaaaa"
	systemOID = "11111111-1111-1111-1111-aaaaaaaaaaaa"
)

var commands = map[string]func(ctx context.Context, args []string) error{
	"resources": runResources,
	"rbac":      runRBAC,
	"secrets":   runSecrets,
	"workload":  runWorkload,
	"claims":    runClaims,
}

func main() {
	if len(os.Args) < 2 || commands[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: sdk2026 resources|rbac|secrets|workload|claims [NAME]")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := commands[os.Args[1]](ctx, os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "sdk2026:", err)
		os.Exit(1)
	}
}

// say prints one KEY=VALUE line.
func say(key string, value any) { fmt.Printf("%s=%v\n", key, value) }

// refusal is "STATUS:CODE" of an SDK error, or the error when it is not
// an HTTP answer.
func refusal(err error) (string, error) {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return fmt.Sprintf("%d:%s", re.StatusCode, re.ErrorCode), nil
	}
	if err == nil {
		return "", errors.New("the request succeeded, want a refusal")
	}
	return "", err
}

// arg is args[i], or def.
func arg(args []string, i int, def string) string {
	if i < len(args) && args[i] != "" {
		return args[i]
	}
	return def
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}
