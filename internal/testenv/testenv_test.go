package testenv

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestCheckLoopback(t *testing.T) {
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:80", true},
		{"[::1]:443", true},
		{"localhost:8080", true},
		{"169.254.169.254:80", false},
		{"management.azure.com:443", false},
		{"10.0.0.1:80", false},
		{"garbage", false},
	} {
		err := CheckLoopback(tc.addr)
		if (err == nil) != tc.ok {
			t.Errorf("CheckLoopback(%q) = %v, want ok=%v", tc.addr, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrNotLoopback) {
			t.Errorf("CheckLoopback(%q) error %v does not wrap ErrNotLoopback", tc.addr, err)
		}
	}
}

func TestClientRefusesMetadataAddress(t *testing.T) {
	c := LoopbackOnlyClient(nil)
	_, err := c.Get("http://169.254.169.254/metadata/identity/oauth2/token")
	if !errors.Is(err, ErrNotLoopback) {
		t.Fatalf("request to the real IMDS address: got %v, want ErrNotLoopback", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	defer srv.Close()
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
