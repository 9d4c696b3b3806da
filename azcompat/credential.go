package azcompat

import (
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/azmsi/azmsi/identity"
)

// tokenSource is the part of *identity.Credential the adapter uses; tests
// substitute a fake to observe exactly which options reach it.
type tokenSource interface {
	TokenWithOptions(ctx context.Context, scopeOrResource string, o identity.TokenOptions) (identity.Token, error)
}

// Credential adapts an *identity.Credential to azcore.TokenCredential.
// It is safe for concurrent use, as the wrapped credential is.
type Credential struct {
	src tokenSource
}

var _ azcore.TokenCredential = (*Credential)(nil)

// New returns an azcore.TokenCredential backed by c. The caller keeps
// ownership of c and closes it when done; the adapter holds no resources.
// A nil c yields a credential whose GetToken reports the misuse.
func New(c *identity.Credential) *Credential {
	if c == nil {
		return &Credential{}
	}
	return &Credential{src: c}
}

// GetToken implements azcore.TokenCredential.
func (c *Credential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if c == nil || c.src == nil {
		return azcore.AccessToken{}, &nonRetriableError{msg: "azcompat: credential was built from a nil *identity.Credential; pass the result of identity.New to azcompat.New"}
	}
	if len(opts.Scopes) != 1 {
		// Same contract and wording style as azidentity's ManagedIdentityCredential.
		return azcore.AccessToken{}, &nonRetriableError{msg: fmt.Sprintf(
			"azcompat.Credential.GetToken() requires exactly one scope, got %d; managed identity issues a token for one resource at a time (e.g. \"https://management.azure.com/.default\")",
			len(opts.Scopes))}
	}
	tok, err := c.src.TokenWithOptions(ctx, opts.Scopes[0], identity.TokenOptions{
		// A claims challenge means the resource rejected the token we hold:
		// identity replaces it (on hosts that cache tokens themselves, by
		// naming the rejected token to the host).
		Claims: opts.Claims,
	})
	if err != nil {
		return azcore.AccessToken{}, wrapError(err)
	}
	return azcore.AccessToken{
		Token:     tok.AccessToken,
		ExpiresOn: tok.ExpiresOn,
		RefreshOn: tok.RefreshOn,
	}, nil
}
