// Command kvflow reads a Key Vault secret with the Azure SDK for Go,
// unmodified: azidentity.ManagedIdentityCredential (IMDS at
// 169.254.169.254) and azsecrets against https://{vault}.vault.azure.net.
// No option points anything at the emulator; the interop suite runs it in
// the network namespace where those names are the emulator.
//
// It sets secret "go-secret" and prints "value=<value>" after reading it
// back; a refused caller prints "status=<HTTP status> code=<error code>".
//
// usage: kvflow [-client-id ID] VAULT_URL
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kvflow:", err)
		os.Exit(1)
	}
}

func run() error {
	clientID := flag.String("client-id", "", "user-assigned identity by client ID")
	flag.Parse()
	if flag.NArg() != 1 {
		return errors.New("usage: kvflow [-client-id ID] VAULT_URL")
	}
	var opts azidentity.ManagedIdentityCredentialOptions
	if *clientID != "" {
		opts.ID = azidentity.ClientID(*clientID)
	}
	cred, err := azidentity.NewManagedIdentityCredential(&opts)
	if err != nil {
		return err
	}
	client, err := azsecrets.NewClient(flag.Arg(0), cred, nil)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err = client.SetSecret(ctx, "go-secret", azsecrets.SetSecretParameters{Value: to.Ptr("s3cr3t-go")}, nil)
	var got azsecrets.GetSecretResponse
	if err == nil {
		got, err = client.GetSecret(ctx, "go-secret", "", nil)
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		fmt.Printf("status=%d code=%s\n", re.StatusCode, re.ErrorCode)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Printf("name=%s\nvalue=%s\n", got.ID.Name(), *got.Value)
	return nil
}
