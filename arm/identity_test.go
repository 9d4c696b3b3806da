package arm

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/testenv"
)

// TestFromIdentity runs an identity.Credential against an IMDS-shaped test
// handler and checks that the ARM audience is requested and that a forced
// refresh reaches the token endpoint again.
func TestFromIdentity(t *testing.T) {
	var fetches atomic.Int32
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Metadata") != "true" || r.URL.Query().Get("resource") != AzurePublicCloud.Audience {
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"error":"invalid_request","error_description":"got %s"}`, r.URL.RawQuery)
			return
		}
		n := fetches.Add(1)
		exp := time.Now().Add(time.Hour).Unix()
		fmt.Fprintf(w, `{"access_token":"tok%d","expires_on":"%d","expires_in":"3600","resource":%q,"token_type":"Bearer"}`, n, exp, AzurePublicCloud.Audience)
	}))
	defer imds.Close()
	cred, err := identity.New(identity.Options{
		Endpoint:   imds.URL,
		HTTPClient: testenv.LoopbackOnlyClient(nil),
		Getenv:     func(string) string { return "" },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cred.Close()
	tc := FromIdentity(cred)
	ctx := context.Background()
	a, err := tc.ARMToken(ctx, AzurePublicCloud.Audience, false)
	if err != nil || a.Token != "tok1" || a.ExpiresOn.IsZero() {
		t.Fatalf("%v %v", a, err)
	}
	if b, _ := tc.ARMToken(ctx, AzurePublicCloud.Audience, false); b.Token != "tok1" {
		t.Errorf("cached token not reused: %v", b)
	}
	if c, err := tc.ARMToken(ctx, AzurePublicCloud.Audience, true); err != nil || c.Token != "tok2" {
		t.Errorf("forced refresh: %v %v", c, err)
	}
	if _, err := FromIdentity(nil).ARMToken(ctx, "x", false); err == nil || !strings.Contains(err.Error(), "nil") {
		t.Errorf("nil credential: %v", err)
	}
}
