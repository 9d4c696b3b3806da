package identity

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/azmsi/azmsi/internal/testenv"
)

// fakeSF is an httptest TLS server answering respond; it returns the
// server and the thumbprint of its certificate.
func fakeSF(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, n int)) (*httptest.Server, string, *atomic.Int64) {
	t.Helper()
	var count atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		respond(w, r, int(count.Add(1)))
	}))
	t.Cleanup(srv.Close)
	sum := sha1.Sum(srv.Certificate().Raw)
	return srv, strings.ToUpper(hex.EncodeToString(sum[:])), &count
}

func sfEnv(srv *httptest.Server, thumb string) map[string]string {
	return map[string]string{"IDENTITY_ENDPOINT": srv.URL + "/metadata/identity/oauth2/token", "IDENTITY_HEADER": "sf-secret-CANARY", "IDENTITY_SERVER_THUMBPRINT": thumb}
}

func TestServiceFabric(t *testing.T) {
	var got *http.Request
	srv, thumb, _ := fakeSF(t, func(w http.ResponseWriter, r *http.Request, n int) {
		got = r
		writeJSON(w, 200, fmt.Sprintf(`{"token_type":"Bearer","access_token":"t","expires_on":%d,"resource":%q}`, epoch0.Unix()+3600, armRes))
	})
	// A lower-case, colon-separated thumbprint is the same pin.
	var parts []string
	for i := 0; i < len(thumb); i += 2 {
		parts = append(parts, strings.ToLower(thumb[i:i+2]))
	}
	for _, tp := range []string{thumb, strings.Join(parts, ":")} {
		c := newHostCred(t, sfEnv(srv, tp), Options{})
		if c.Source().Host != HostServiceFabric {
			t.Fatalf("Source() = %+v", c.Source())
		}
		tok, err := c.Token(context.Background(), armRes)
		if err != nil {
			t.Fatal(err)
		}
		if tok.ExpiresOn.Unix() != epoch0.Unix()+3600 {
			t.Fatalf("ExpiresOn = %v", tok.ExpiresOn)
		}
		q := got.URL.Query()
		if q.Get("api-version") != "2020-05-01" || q.Has("principalId") || q.Has("xms_cc") || q.Get("resource") != armRes || got.Header.Get("Secret") != "sf-secret-CANARY" || got.Header.Get("Accept") != "application/json" {
			t.Fatalf("request %v %v", q, got.Header)
		}
	}
}

func TestServiceFabricWrongThumbprint(t *testing.T) {
	srv, thumb, count := fakeSF(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, `{"access_token":"t","expires_in":3600}`)
	})
	wrong := strings.Repeat("0", 40)
	if thumb == wrong {
		wrong = strings.Repeat("1", 40)
	}
	c := newHostCred(t, sfEnv(srv, wrong), Options{})
	_, err := c.Token(context.Background(), armRes)
	if !errors.Is(err, ErrThumbprintMismatch) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if count.Load() != 0 {
		t.Fatalf("the server received %d requests", count.Load())
	}
	if strings.Contains(err.Error(), "CANARY") {
		t.Fatalf("secret in error: %v", err)
	}
}

func TestServiceFabricRefusesRedirect(t *testing.T) {
	var elsewhere atomic.Int64
	target := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer target.Close()
	srv, thumb, _ := fakeSF(t, func(w http.ResponseWriter, r *http.Request, n int) {
		http.Redirect(w, r, target.URL+"/steal", http.StatusTemporaryRedirect)
	})
	c := newHostCred(t, sfEnv(srv, thumb), Options{})
	_, err := c.Token(context.Background(), armRes)
	if err == nil || !strings.Contains(err.Error(), "redirect") {
		t.Fatalf("err = %v", err)
	}
	if elsewhere.Load() != 0 {
		t.Fatal("the redirect was followed")
	}
}

func TestServiceFabricErrorsAndRetries(t *testing.T) {
	t.Run("error body", func(t *testing.T) {
		srv, thumb, count := fakeSF(t, func(w http.ResponseWriter, r *http.Request, n int) {
			writeJSON(w, 404, `{"error":{"correlationId":"aaaa0000-bb11-2222-33cc-444444dddddd","code":"ManagedIdentityNotFound","message":"Managed identity not found for the specified application host."}}`)
		})
		c := newHostCred(t, sfEnv(srv, thumb), Options{})
		_, err := c.Token(context.Background(), armRes)
		var ae *AuthError
		if !errors.As(err, &ae) || ae.Source != "Service Fabric" || ae.Code != "ManagedIdentityNotFound" || ae.RequestID != "aaaa0000-bb11-2222-33cc-444444dddddd" || !strings.Contains(ae.Description, "not found") {
			t.Fatalf("err = %#v", err)
		}
		if count.Load() != 1 {
			t.Fatalf("404 retried: %d requests", count.Load())
		}
	})
	for _, code := range []int{429, 500, 503} {
		t.Run(fmt.Sprint("retry ", code), func(t *testing.T) {
			srv, thumb, count := fakeSF(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n < 3 {
					writeJSON(w, code, `{"error":{"code":"Busy","message":"later"}}`)
					return
				}
				writeJSON(w, 200, `{"token_type":"Bearer","access_token":"t","expires_on":"`+fmt.Sprint(epoch0.Unix()+3600)+`","resource":"r"}`)
			})
			c := newHostCred(t, sfEnv(srv, thumb), Options{})
			if _, err := c.Token(context.Background(), armRes); err != nil || count.Load() != 3 {
				t.Fatalf("err = %v after %d", err, count.Load())
			}
		})
	}
}

// TestServiceFabricTransport: the pinning transport is dedicated and keeps
// the caller's dialer (here loopback-only), and a non-*http.Transport is
// refused at New.
func TestServiceFabricTransport(t *testing.T) {
	srv, thumb, _ := fakeSF(t, func(w http.ResponseWriter, r *http.Request, n int) {})
	hc := testenv.LoopbackOnlyClient(nil)
	c := newHostCred(t, sfEnv(srv, thumb), Options{HTTPClient: hc})
	if c.client == hc || c.client.Transport == hc.Transport || c.transport == nil {
		t.Fatal("the caller's transport is shared")
	}
	if c.client.Transport.(*http.Transport).DialContext == nil {
		t.Fatal("dialer dropped")
	}
	_, err := New(Options{Getenv: mapEnv(sfEnv(srv, thumb)), HTTPClient: &http.Client{Transport: roundTripFunc(nil)}})
	if err == nil || !strings.Contains(err.Error(), "needs an *http.Transport") {
		t.Fatalf("err = %v", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// sfBody is a 2020-05-01 success body (the 2019-07-01-preview shape).
func sfBody(tok string) string {
	return fmt.Sprintf(`{"token_type":"Bearer","access_token":%q,"expires_on":%d,"resource":%q}`, tok, epoch0.Unix()+3600, armRes)
}

const sfVersionRefused = `{"error":{"code":"InvalidApiVersion","message":"The api-version '2020-05-01' is not supported.","correlationId":"c0"}}`

func TestServiceFabricUserAssignedByObjectID(t *testing.T) {
	var got atomic.Pointer[http.Request]
	srv, thumb, _ := fakeSF(t, func(w http.ResponseWriter, r *http.Request, n int) {
		got.Store(r)
		writeJSON(w, 200, sfBody(uamiJWT(nil)))
	})
	c := newHostCred(t, sfEnv(srv, thumb), Options{ID: ObjectID(testOID)})
	if _, err := c.Token(context.Background(), armRes); err != nil {
		t.Fatal(err)
	}
	q := got.Load().URL.Query()
	if q.Get("api-version") != "2020-05-01" || q.Get("principalId") != "22222222-2222-2222-2222-222222222222" || len(q) != 3 {
		t.Fatalf("query = %v", q)
	}
	// A token for another object ID is refused.
	srv2, thumb2, _ := fakeSF(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, sfBody(uamiJWT(map[string]any{"oid": "99999999-9999-9999-9999-999999999999"})))
	})
	c2 := newHostCred(t, sfEnv(srv2, thumb2), Options{ID: ObjectID(testOID)})
	if _, err := c2.Token(context.Background(), armRes); err == nil || !strings.Contains(err.Error(), "different identity") {
		t.Fatalf("err = %v", err)
	}
}

// TestServiceFabricVersionFallback: a host that refuses 2020-05-01 is asked
// with 2019-07-01-preview, from then on; other refusals and user-assigned
// identities do not fall back.
func TestServiceFabricVersionFallback(t *testing.T) {
	t.Run("system-assigned falls back and stays", func(t *testing.T) {
		var versions []string
		var mu sync.Mutex
		srv, thumb, _ := fakeSF(t, func(w http.ResponseWriter, r *http.Request, n int) {
			v := r.URL.Query().Get("api-version")
			mu.Lock()
			versions = append(versions, v)
			mu.Unlock()
			if v == "2020-05-01" {
				writeJSON(w, 400, sfVersionRefused)
				return
			}
			writeJSON(w, 200, sfBody(fmt.Sprint("t", n)))
		})
		c := newHostCred(t, sfEnv(srv, thumb), Options{})
		for i := 0; i < 2; i++ {
			if _, err := c.TokenWithOptions(context.Background(), armRes, TokenOptions{ForceRefresh: true}); err != nil {
				t.Fatal(err)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if got := strings.Join(versions, ","); got != "2020-05-01,2019-07-01-preview,2019-07-01-preview" {
			t.Fatalf("versions = %s", got)
		}
	})
	t.Run("user-assigned does not fall back", func(t *testing.T) {
		srv, thumb, count := fakeSF(t, func(w http.ResponseWriter, r *http.Request, n int) {
			writeJSON(w, 400, sfVersionRefused)
		})
		c := newHostCred(t, sfEnv(srv, thumb), Options{ID: ObjectID(testOID)})
		_, err := c.Token(context.Background(), armRes)
		var ae *AuthError
		if !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Code != "InvalidApiVersion" || count.Load() != 1 {
			t.Fatalf("err = %v after %d requests", err, count.Load())
		}
	})
	t.Run("another 400 does not fall back", func(t *testing.T) {
		srv, thumb, count := fakeSF(t, func(w http.ResponseWriter, r *http.Request, n int) {
			writeJSON(w, 400, `{"error":{"code":"BadRequest","message":"The resource is not valid."}}`)
		})
		c := newHostCred(t, sfEnv(srv, thumb), Options{})
		if _, err := c.Token(context.Background(), armRes); err == nil || count.Load() != 1 {
			t.Fatalf("err = %v after %d requests", err, count.Load())
		}
	})
}
