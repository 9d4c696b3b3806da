package identity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/azmsi/azmsi/internal/testenv"
)

// newHostCred builds a credential from env (no other variable is visible)
// with a loopback-only client and an auto-advancing fake clock.
func newHostCred(t *testing.T, env map[string]string, o Options) *Credential {
	t.Helper()
	o.Getenv = mapEnv(env)
	if o.Clock == nil {
		o.Clock = newFakeClock(true)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = testenv.LoopbackOnlyClient(nil)
	}
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// appServiceBody is a 2019-08-01 success body: expires_on only, as a string.
func appServiceBody(tok string) string {
	return fmt.Sprintf(`{"access_token":%q,"expires_on":"%d","resource":%q,"token_type":"Bearer","client_id":%q}`,
		tok, epoch0.Add(24*3600e9).Unix(), armRes, testCID)
}

func TestAppServiceRequestShape(t *testing.T) {
	tests := []struct {
		id    ID
		param string
	}{
		{ID{}, ""},
		{ClientID(testCID), "client_id"},
		{ObjectID(testOID), "object_id"},
		{ResourceID(testMIID), "mi_res_id"},
	}
	for _, tt := range tests {
		t.Run(tt.id.Kind().String(), func(t *testing.T) {
			srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
				writeJSON(w, 200, appServiceBody(uamiJWT(nil)))
			})
			c := newHostCred(t, map[string]string{"IDENTITY_ENDPOINT": srv.URL + "/msi/token", "IDENTITY_HEADER": "the-header"}, Options{ID: tt.id})
			tok, err := c.Token(context.Background(), armRes+"/.default")
			if err != nil {
				t.Fatal(err)
			}
			if !tok.ExpiresOn.Equal(epoch0.Add(24 * 3600e9)) {
				t.Fatalf("ExpiresOn = %v", tok.ExpiresOn)
			}
			r := srv.Seen()[0]
			if r.Path != "/msi/token" || r.Query.Get("api-version") != "2019-08-01" || r.Query.Get("resource") != armRes {
				t.Fatalf("request %s ? %v", r.Path, r.Query)
			}
			if r.Header.Get("X-IDENTITY-HEADER") != "the-header" {
				t.Fatalf("X-IDENTITY-HEADER = %q", r.Header.Get("X-IDENTITY-HEADER"))
			}
			for _, p := range []string{"client_id", "object_id", "principal_id", "mi_res_id", "msi_res_id", "clientid"} {
				if want := p == tt.param; r.Query.Has(p) != want {
					t.Fatalf("param %s present=%v, want %v (%v)", p, r.Query.Has(p), want, r.Query)
				}
			}
			if tt.param != "" && r.Query.Get(tt.param) != tt.id.Value() {
				t.Fatalf("%s = %q", tt.param, r.Query.Get(tt.param))
			}
		})
	}
}

func TestAppServiceErrorsAndRetries(t *testing.T) {
	t.Run("error body", func(t *testing.T) {
		srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
			writeJSON(w, 400, `{"statusCode":400,"message":"Unable to load the proper Managed Identity.","correlationId":"bf68136a-73f7-4ca4-9903-9ee8af3ab2ee"}`)
		})
		c := newHostCred(t, map[string]string{"IDENTITY_ENDPOINT": srv.URL + "/msi/token", "IDENTITY_HEADER": "h"}, Options{})
		_, err := c.Token(context.Background(), armRes)
		var ae *AuthError
		if !errors.As(err, &ae) || ae.Source != "App Service" || ae.StatusCode != 400 || ae.Description != "Unable to load the proper Managed Identity." || ae.RequestID != "bf68136a-73f7-4ca4-9903-9ee8af3ab2ee" {
			t.Fatalf("err = %#v", err)
		}
		if len(srv.Seen()) != 1 {
			t.Fatalf("400 retried: %d requests", len(srv.Seen()))
		}
	})
	for _, code := range []int{408, 429, 500, 502, 503, 504} {
		t.Run(fmt.Sprint("retry ", code), func(t *testing.T) {
			srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n == 1 {
					writeJSON(w, code, `{"statusCode":`+fmt.Sprint(code)+`,"message":"busy"}`)
					return
				}
				writeJSON(w, 200, appServiceBody("t"))
			})
			c := newHostCred(t, map[string]string{"IDENTITY_ENDPOINT": srv.URL + "/msi/token", "IDENTITY_HEADER": "h"}, Options{})
			if _, err := c.Token(context.Background(), armRes); err != nil || len(srv.Seen()) != 2 {
				t.Fatalf("err = %v after %d requests", err, len(srv.Seen()))
			}
		})
	}
	for _, code := range []int{404, 410, 401} {
		t.Run(fmt.Sprint("no retry ", code), func(t *testing.T) {
			srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
				writeJSON(w, code, `{"statusCode":`+fmt.Sprint(code)+`,"message":"no"}`)
			})
			c := newHostCred(t, map[string]string{"IDENTITY_ENDPOINT": srv.URL + "/msi/token", "IDENTITY_HEADER": "h"}, Options{})
			if _, err := c.Token(context.Background(), armRes); err == nil || len(srv.Seen()) != 1 {
				t.Fatalf("err = %v after %d requests", err, len(srv.Seen()))
			}
		})
	}
	t.Run("gives up after a few retries", func(t *testing.T) {
		srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
			writeJSON(w, 503, `{"statusCode":503,"message":"down"}`)
		})
		c := newHostCred(t, map[string]string{"IDENTITY_ENDPOINT": srv.URL + "/msi/token", "IDENTITY_HEADER": "h"}, Options{})
		if _, err := c.Token(context.Background(), armRes); err == nil || len(srv.Seen()) != 4 {
			t.Fatalf("err = %v after %d requests, want 4", err, len(srv.Seen()))
		}
	})
}

// TestMSI2017 covers the shared 2017-09-01 implementation under both
// names: legacy App Service (date-string expiry) and Azure ML (numeric).
func TestMSI2017(t *testing.T) {
	exp := epoch0.Add(8 * 3600e9)
	tests := []struct {
		name, host, wantName string
		env                  map[string]string
		id                   ID
		expiresOn            string
		wantClientID         string
	}{
		{"legacy system", HostAppService2017, "App Service (2017-09-01)", map[string]string{"APPSETTING_WEBSITE_SITE_NAME": "site"}, ID{}, `"` + exp.Format("01/02/2006 15:04:05") + ` +00:00"`, ""},
		{"legacy windows date", HostAppService2017, "App Service (2017-09-01)", map[string]string{"WEBSITE_SITE_NAME": "site"}, ClientID(testCID), `"` + exp.Format("1/2/2006 3:04:05 PM") + ` +00:00"`, testCID},
		{"ml default client", HostAzureML, "Azure ML", map[string]string{"DEFAULT_IDENTITY_CLIENT_ID": testCID}, ID{}, fmt.Sprint(exp.Unix()), testCID},
		{"ml configured client wins", HostAzureML, "Azure ML", map[string]string{"DEFAULT_IDENTITY_CLIENT_ID": "99999999-9999-9999-9999-999999999999"}, ClientID(testCID), fmt.Sprint(exp.Unix()), testCID},
		{"ml no default", HostAzureML, "Azure ML", nil, ID{}, fmt.Sprint(exp.Unix()), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
				writeJSON(w, 200, fmt.Sprintf(`{"access_token":%q,"expires_on":%s,"resource":%q,"token_type":"Bearer"}`, uamiJWT(nil), tt.expiresOn, armRes))
			})
			env := map[string]string{"MSI_ENDPOINT": srv.URL + "/MSI/token", "MSI_SECRET": "msi-secret"}
			for k, v := range tt.env {
				env[k] = v
			}
			c := newHostCred(t, env, Options{ID: tt.id})
			if info := c.Source(); info.Host != tt.host || info.Name != tt.wantName {
				t.Fatalf("Source() = %+v", info)
			}
			tok, err := c.Token(context.Background(), armRes)
			if err != nil {
				t.Fatal(err)
			}
			if !tok.ExpiresOn.Equal(exp) {
				t.Fatalf("ExpiresOn = %v, want %v", tok.ExpiresOn, exp)
			}
			r := srv.Seen()[0]
			if r.Query.Get("api-version") != "2017-09-01" || r.Query.Get("resource") != armRes || r.Header.Get("secret") != "msi-secret" {
				t.Fatalf("request %v %v", r.Query, r.Header)
			}
			if got := r.Query.Get("clientid"); got != tt.wantClientID || (tt.wantClientID == "") == r.Query.Has("clientid") {
				t.Fatalf("clientid = %q (present %v), want %q", got, r.Query.Has("clientid"), tt.wantClientID)
			}
			if r.Query.Has("client_id") || r.Query.Has("object_id") {
				t.Fatalf("2019 selector sent: %v", r.Query)
			}
		})
	}
	t.Run("error names the host", func(t *testing.T) {
		srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
			writeJSON(w, 400, `{"error":"invalid_request","error_description":"bad clientid"}`)
		})
		c := newHostCred(t, map[string]string{"MSI_ENDPOINT": srv.URL, "MSI_SECRET": "s", "DEFAULT_IDENTITY_CLIENT_ID": testCID}, Options{})
		_, err := c.Token(context.Background(), armRes)
		var ae *AuthError
		if !errors.As(err, &ae) || ae.Source != "Azure ML" || ae.Description != "bad clientid" || !strings.Contains(err.Error(), "Azure ML") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestCloudShell(t *testing.T) {
	var body, ctype, meta, method string
	srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
		b, _ := io.ReadAll(r.Body)
		body, ctype, meta, method = string(b), r.Header.Get("Content-Type"), r.Header.Get("Metadata"), r.Method
		if n == 1 {
			writeJSON(w, 503, `{"error":{"code":"Busy","message":"try later"}}`)
			return
		}
		writeJSON(w, 200, `{"access_token":"t","refresh_token":"","expires_in":"3599","expires_on":"`+fmt.Sprint(epoch0.Unix()+3599)+`","resource":"`+armRes+`","token_type":"Bearer"}`)
	})
	c := newHostCred(t, map[string]string{"MSI_ENDPOINT": srv.URL + "/oauth2/token"}, Options{})
	if _, err := c.Token(context.Background(), armRes); err != nil {
		t.Fatal(err)
	}
	r := srv.Seen()[1]
	if method != http.MethodPost || r.Path != "/oauth2/token" || len(r.Query) != 0 || body != "resource=https%3A%2F%2Fmanagement.azure.com%2F" ||
		ctype != "application/x-www-form-urlencoded" || meta != "true" {
		t.Fatalf("request %s %s ?%v body %q ct %q meta %q", method, r.Path, r.Query, body, ctype, meta)
	}

	errSrv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 400, `{"error":{"code":"BadRequest","message":"resource is not allowed"}}`)
	})
	c2 := newHostCred(t, map[string]string{"MSI_ENDPOINT": errSrv.URL + "/oauth2/token"}, Options{})
	_, err := c2.Token(context.Background(), "https://vault.azure.net")
	var ae *AuthError
	if !errors.As(err, &ae) || ae.Source != "Cloud Shell" || ae.Code != "BadRequest" || ae.Description != "resource is not allowed" {
		t.Fatalf("err = %#v", err)
	}
}
