package arm

import (
	"context"
	"errors"

	"github.com/azmsi/azmsi/identity"
)

// FromIdentity adapts a managed-identity credential to TokenCredential.
// The identity package caches tokens; forceRefresh bypasses that cache.
func FromIdentity(c *identity.Credential) TokenCredential {
	return identityCredential{c}
}

type identityCredential struct{ c *identity.Credential }

func (ic identityCredential) ARMToken(ctx context.Context, resource string, forceRefresh bool) (AccessToken, error) {
	if ic.c == nil {
		return AccessToken{}, errors.New("arm: FromIdentity was given a nil *identity.Credential")
	}
	t, err := ic.c.TokenWithOptions(ctx, resource, identity.TokenOptions{ForceRefresh: forceRefresh})
	if err != nil {
		return AccessToken{}, err
	}
	return AccessToken{Token: t.AccessToken, ExpiresOn: t.ExpiresOn}, nil
}
