package azcompat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/azmsi/azmsi/identity"
)

// fakeSource records the calls the adapter makes.
type fakeSource struct {
	mu    sync.Mutex
	calls []fakeCall
	tok   identity.Token
	err   error
}

type fakeCall struct {
	scope string
	opts  identity.TokenOptions
}

func (f *fakeSource) TokenWithOptions(_ context.Context, scope string, o identity.TokenOptions) (identity.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fakeCall{scope, o})
	return f.tok, f.err
}

const secretToken = "eyJ0eXAiOiJKV1QifQ.c2VjcmV0LXBheWxvYWQ.c2ln"

func TestGetTokenOptions(t *testing.T) {
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	refresh := exp.Add(-12 * time.Hour)
	tests := []struct {
		name       string
		opts       policy.TokenRequestOptions
		wantErr    string // substring; "" = success
		wantScope  string
		wantClaims string
	}{
		{name: "one scope", opts: policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}},
			wantScope: "https://management.core.windows.net//.default"},
		{name: "CAE enabled is not a refresh", opts: policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}, EnableCAE: true},
			wantScope: "https://vault.azure.net/.default"},
		{name: "tenant is ignored", opts: policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}, TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47"},
			wantScope: "https://management.azure.com/.default"},
		{name: "claims challenge is passed on", opts: policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}, Claims: `{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}`, EnableCAE: true},
			wantScope: "https://management.azure.com/.default", wantClaims: `{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}`},
		{name: "no scope", opts: policy.TokenRequestOptions{}, wantErr: "requires exactly one scope, got 0"},
		{name: "two scopes", opts: policy.TokenRequestOptions{Scopes: []string{"https://a/.default", "https://b/.default"}}, wantErr: "requires exactly one scope, got 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &fakeSource{tok: identity.Token{AccessToken: secretToken, Type: "Bearer", ExpiresOn: exp, RefreshOn: refresh, Resource: "x"}}
			got, err := (&Credential{src: src}).GetToken(context.Background(), tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				if !isNonRetriable(err) {
					t.Errorf("usage error %v should be non-retriable", err)
				}
				if len(src.calls) != 0 {
					t.Errorf("credential was called %d times for an invalid request", len(src.calls))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Token != secretToken || !got.ExpiresOn.Equal(exp) || !got.RefreshOn.Equal(refresh) {
				t.Errorf("got %+v, want token, ExpiresOn %v, RefreshOn %v", got, exp, refresh)
			}
			want := []fakeCall{{tt.wantScope, identity.TokenOptions{Claims: tt.wantClaims}}}
			if fmt.Sprint(src.calls) != fmt.Sprint(want) {
				t.Errorf("calls = %+v, want %+v", src.calls, want)
			}
		})
	}
}

func TestGetTokenErrors(t *testing.T) {
	authErr := &identity.AuthError{Source: "IMDS", StatusCode: 400, Code: "invalid_request", Description: "Identity not found"}
	tests := []struct {
		name            string
		err             error
		wantUnavailable bool
		wantAuthError   bool
		wantNonRetry    bool
	}{
		{name: "unavailable", err: fmt.Errorf("%w: IMDS at http://127.0.0.1:1: connection refused", identity.ErrUnavailable), wantUnavailable: true, wantNonRetry: true},
		{name: "auth error", err: authErr, wantAuthError: true},
		{name: "context", err: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := (&Credential{src: &fakeSource{err: tt.err}}).GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
			if err == nil {
				t.Fatal("want an error")
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("errors.Is(%v, original) = false", err)
			}
			if got := errors.Is(err, identity.ErrUnavailable); got != tt.wantUnavailable {
				t.Errorf("errors.Is(err, identity.ErrUnavailable) = %v, want %v", got, tt.wantUnavailable)
			}
			var ue *UnavailableError
			if got := errors.As(err, &ue); got != tt.wantUnavailable {
				t.Errorf("errors.As(*UnavailableError) = %v, want %v", got, tt.wantUnavailable)
			}
			var ae *identity.AuthError
			if got := errors.As(err, &ae); got != tt.wantAuthError {
				t.Errorf("errors.As(*identity.AuthError) = %v, want %v", got, tt.wantAuthError)
			}
			if got := isNonRetriable(err); got != tt.wantNonRetry {
				t.Errorf("non-retriable = %v, want %v", got, tt.wantNonRetry)
			}
			if !strings.HasPrefix(err.Error(), "azcompat: ") {
				t.Errorf("error %q should name the adapter", err)
			}
		})
	}
}

func TestNilCredential(t *testing.T) {
	for _, c := range []*Credential{nil, New(nil)} {
		_, err := c.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
		if err == nil || !strings.Contains(err.Error(), "identity.New") {
			t.Errorf("err = %v, want a hint to use identity.New", err)
		}
	}
}

func isNonRetriable(err error) bool {
	var nr interface{ NonRetriable() }
	return errors.As(err, &nr)
}
