package identity_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"

	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/testenv"
)

// An IMDS-like server stands in for the VM's metadata endpoint; on a VM,
// leave Options.Endpoint empty.
func Example() {
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Metadata") != "true" {
			http.Error(w, `{"error":"bad_request_102"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"example-token","expires_in":"86399","resource":%q,"token_type":"Bearer"}`,
			r.URL.Query().Get("resource"))
	}))
	defer imds.Close()

	cred, err := identity.New(identity.Options{
		Endpoint: imds.URL,
		// Only for this example: dial nothing but loopback and ignore this
		// machine's environment. On a VM, leave all three fields unset.
		HTTPClient: testenv.LoopbackOnlyClient(nil),
		Getenv:     func(string) string { return "" },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cred.Close()

	tok, err := cred.Token(context.Background(), "https://management.azure.com/.default")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cred.Source().Name, cred.ID())
	fmt.Println(tok.Type, tok.Resource)
	fmt.Println("Authorization header ready:", tok.AccessToken != "")
	fmt.Printf("printing the token is safe: %v\n", tok.AccessToken != fmt.Sprint(tok))
	// Output:
	// IMDS system-assigned
	// Bearer https://management.azure.com
	// Authorization header ready: true
	// printing the token is safe: true
}

// Off Azure nothing listens at the metadata address; the credential fails
// fast with an error matching ErrUnavailable.
func ExampleErrUnavailable() {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + l.Addr().String()
	l.Close()

	cred, _ := identity.New(identity.Options{
		Endpoint: closed,
		ID:       identity.ClientID("11111111-1111-1111-1111-111111111111"),
		// Only for this example: dial nothing but loopback and ignore this
		// machine's environment.
		HTTPClient: testenv.LoopbackOnlyClient(nil),
		Getenv:     func(string) string { return "" },
	})
	defer cred.Close()
	_, err := cred.Token(context.Background(), "https://vault.azure.net")
	fmt.Println(errors.Is(err, identity.ErrUnavailable))
	// Output: true
}
