package azcompat_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/azmsi/azmsi/azcompat"
	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/testenv"
)

// Build an azmsi credential and hand it to any Azure SDK for Go client as an
// azcore.TokenCredential. Here a stand-in IMDS on loopback answers; on an
// Azure VM leave Endpoint empty and pass the credential to, e.g.,
// armresources.NewResourceGroupsClient(subscriptionID, cred, nil).
func Example() {
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		exp := time.Now().Add(time.Hour).Unix()
		fmt.Fprintf(w, `{"access_token":"example-token","expires_in":"3600","expires_on":"%d","resource":%q,"token_type":"Bearer"}`,
			exp, r.URL.Query().Get("resource"))
	}))
	defer imds.Close()

	mi, err := identity.New(identity.Options{Endpoint: imds.URL, HTTPClient: testenv.LoopbackOnlyClient(nil)})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer mi.Close()

	var cred azcore.TokenCredential = azcompat.New(mi)
	tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{
		Scopes: []string{"https://management.azure.com/.default"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("token acquired, valid for about an hour:", time.Until(tok.ExpiresOn).Round(time.Hour))
	// Output: token acquired, valid for about an hour: 1h0m0s
}
