package emulator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/azmsi/azmsi/emulator"
)

// Start the emulator in-process and fetch a managed-identity token from its
// IMDS endpoint with plain net/http, as any Azure SDK would on a VM.
func Example() {
	srv, err := emulator.Start(context.Background(), emulator.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	q := url.Values{
		"api-version": {"2018-02-01"},
		"resource":    {"https://management.azure.com/"},
		"client_id":   {"33333333-3333-3333-3333-333333333333"}, // app-reader
	}
	req, _ := http.NewRequest(http.MethodGet, srv.IMDSEndpoint()+"/metadata/identity/oauth2/token?"+q.Encode(), nil)
	req.Header.Set("Metadata", "true")
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()

	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		Resource    string `json:"resource"`
		ClientID    string `json:"client_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Status)
	fmt.Println(tok.TokenType, tok.Resource)
	fmt.Println("client:", tok.ClientID)
	fmt.Println("has token:", tok.AccessToken != "")
	// Output:
	// 200 OK
	// Bearer https://management.azure.com/
	// client: 33333333-3333-3333-3333-333333333333
	// has token: true
}

// Point a child process at the emulator.
func ExampleServer_EnvFile() {
	srv, err := emulator.Start(context.Background(), emulator.Options{ARMAddr: "-"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	for _, v := range srv.Env() {
		fmt.Println(v.Name)
	}
	// Output:
	// AZURE_POD_IDENTITY_AUTHORITY_HOST
	// SSL_CERT_FILE
	// REQUESTS_CA_BUNDLE
}
