package cli

import (
	"context"

	"github.com/azmsi/azmsi/arm"
	"github.com/azmsi/azmsi/identity"
)

// armCredential adapts the credential to arm.TokenCredential.
// TODO: switch to arm.FromIdentity once it lands.
func armCredential(c *identity.Credential) arm.TokenCredential {
	return arm.TokenCredentialFunc(func(ctx context.Context, resource string, force bool) (arm.AccessToken, error) {
		t, err := c.TokenWithOptions(ctx, resource, identity.TokenOptions{ForceRefresh: force})
		if err != nil {
			return arm.AccessToken{}, err
		}
		return arm.AccessToken{Token: t.AccessToken, ExpiresOn: t.ExpiresOn}, nil
	})
}
