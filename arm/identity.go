package arm

import (
	"context"
	"errors"

	"github.com/azmsi/azmsi/identity"
)

// FromIdentity adapts a managed-identity credential to TokenCredential.
// The identity package caches tokens; forceRefresh bypasses that cache, and
// a claims challenge replaces the rejected token (ClaimsTokenCredential).
func FromIdentity(c *identity.Credential) TokenCredential {
	return identityCredential{c}
}

type identityCredential struct{ c *identity.Credential }

var _ ClaimsTokenCredential = identityCredential{}

// ARMTokenForClaims names the rejected token to identity, which asks a host
// that caches tokens to replace exactly that one.
func (ic identityCredential) ARMTokenForClaims(ctx context.Context, resource, claims, rejected string) (AccessToken, error) {
	if ic.c == nil {
		return AccessToken{}, errors.New("arm: FromIdentity was given a nil *identity.Credential")
	}
	t, err := ic.c.TokenWithOptions(ctx, resource, identity.TokenOptions{Claims: claims, RejectedToken: rejected})
	if err != nil {
		return AccessToken{}, err
	}
	return AccessToken{Token: t.AccessToken, ExpiresOn: t.ExpiresOn}, nil
}

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
