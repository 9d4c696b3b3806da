package arm_test

import (
	"context"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/azmsi/azmsi/arm"
	"github.com/azmsi/azmsi/internal/testenv"
)

// Example lists resource groups and deletes one, against a stand-in for ARM
// served by httptest. Real code would pass arm.FromIdentity(cred) and leave
// Endpoint empty.
func Example() {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.Method + " " + r.URL.Path {
		case "GET /subscriptions/sub1/resourcegroups":
			fmt.Fprint(w, `{"value":[{"name":"web","location":"eastus"},{"name":"db","location":"westus"}]}`)
		case "DELETE /subscriptions/sub1/resourcegroups/web":
			w.Header().Set("Location", "https://"+r.Host+"/subscriptions/sub1/operationresults/op1?api-version=2021-04-01")
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusAccepted)
		case "GET /subscriptions/sub1/operationresults/op1":
			w.WriteHeader(http.StatusOK)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":{"code":"ResourceGroupNotFound","message":"Resource group 'x' could not be found."}}`)
		}
	}))
	defer srv.Close()
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})

	client, err := arm.New(arm.Options{
		Credential: arm.TokenCredentialFunc(func(ctx context.Context, resource string, force bool) (arm.AccessToken, error) {
			return arm.AccessToken{Token: "example-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
		}),
		Endpoint:   srv.URL,
		HTTPClient: testenv.LoopbackOnlyClient(caPEM),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	for rg, err := range client.ResourceGroups(ctx, "sub1", nil) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(rg.Name, rg.Location)
	}
	poller, err := client.BeginDeleteResourceGroup(ctx, "sub1", "web")
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := poller.Wait(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("deleted web:", poller.Done())
	// Output:
	// web eastus
	// db westus
	// deleted web: true
}

func ExampleParseResourceID() {
	id, err := arm.ParseResourceID("/subscriptions/sub1/resourcegroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/myid")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(id.SubscriptionID, id.ResourceGroup, id.Type(), id.Name())
	// Output: sub1 rg1 Microsoft.ManagedIdentity/userAssignedIdentities myid
}

func ExampleCloudByName() {
	c, err := arm.CloudByName("AZUREUSGOVERNMENTCLOUD")
	fmt.Println(c.Endpoint, c.Audience, err)
	// Output: https://management.usgovcloudapi.net https://management.core.usgovcloudapi.net/ <nil>
}

// ExampleClient_CreateOrUpdateResource creates a resource of any type by ID,
// with its provider's api-version, and lists the group's resources of that
// type, against a stand-in for ARM served by httptest.
func ExampleClient_CreateOrUpdateResource() {
	const id = "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-id"
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.Method + " " + r.URL.Path {
		case "PUT " + id:
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"id":"`+id+`","name":"app-id","type":"Microsoft.ManagedIdentity/userAssignedIdentities","location":"eastus","properties":{"clientId":"c1","provisioningState":"Succeeded"}}`)
		case "GET /subscriptions/sub1/resourceGroups/rg1/resources":
			fmt.Fprint(w, `{"value":[{"id":"`+id+`","name":"app-id","type":"Microsoft.ManagedIdentity/userAssignedIdentities","location":"eastus"}]}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":{"code":"ResourceNotFound","message":"not here"}}`)
		}
	}))
	defer srv.Close()
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	client, err := arm.New(arm.Options{
		Credential: arm.TokenCredentialFunc(func(ctx context.Context, resource string, force bool) (arm.AccessToken, error) {
			return arm.AccessToken{Token: "example-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
		}),
		Endpoint:   srv.URL,
		HTTPClient: testenv.LoopbackOnlyClient(caPEM),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	r, err := client.CreateOrUpdateResource(ctx, id, "2023-01-31", []byte(`{"location":"eastus"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Name, r.State())
	filter := arm.ResourceTypeFilter("Microsoft.ManagedIdentity/userAssignedIdentities")
	for r, err := range client.Resources(ctx, "sub1", &arm.ListResourcesOptions{ResourceGroup: "rg1", Filter: filter}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(r.Type, r.Name)
	}
	// Output:
	// app-id Succeeded
	// Microsoft.ManagedIdentity/userAssignedIdentities app-id
}
