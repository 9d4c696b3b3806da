package azcompat

import (
	"errors"
	"fmt"

	"github.com/azmsi/azmsi/identity"
)

// UnavailableError is returned when no managed-identity endpoint exists on
// this host (identity.ErrUnavailable). It unwraps to the identity error, so
// errors.Is(err, identity.ErrUnavailable) holds, and it marks itself
// non-retriable so azcore's retry policy gives up at once.
//
// azidentity's ChainedTokenCredential and DefaultAzureCredential recognise
// "try the next credential" only through an interface with an unexported
// method, which no type outside azidentity can implement. A chain that
// includes this adapter therefore stops at it when managed identity is
// unavailable; put it last in a chain, or check
// errors.Is(err, identity.ErrUnavailable) in your own chain.
type UnavailableError struct {
	err error
}

func (e *UnavailableError) Error() string {
	return "azcompat: managed identity is unavailable on this host: " + e.err.Error()
}

// Unwrap returns the underlying identity error.
func (e *UnavailableError) Unwrap() error { return e.err }

// NonRetriable tells azcore's retry policy not to retry (errorinfo.NonRetriable).
func (*UnavailableError) NonRetriable() {}

// nonRetriableError is a usage error: retrying cannot fix it.
type nonRetriableError struct{ msg string }

func (e *nonRetriableError) Error() string { return e.msg }
func (*nonRetriableError) NonRetriable()   {}

// wrapError keeps the identity error reachable through errors.Is/As (for
// *identity.AuthError in particular) and adds the adapter's name. Messages
// from identity never contain a token, so neither does the wrapped one.
func wrapError(err error) error {
	if errors.Is(err, identity.ErrUnavailable) {
		return &UnavailableError{err: err}
	}
	return fmt.Errorf("azcompat: managed identity token request failed: %w", err)
}
