package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/azmsi/azmsi/arm"
)

// errSeveralSubscriptions is returned by resolveSubscription when no
// subscription was chosen and the identity sees more than one.
type errSeveralSubscriptions struct{ ids []string }

func (e *errSeveralSubscriptions) Error() string {
	return fmt.Sprintf("several subscriptions are visible (%s); pass --subscription", strings.Join(e.ids, ", "))
}

// subscriptionChoice is where the subscription came from, for messages.
type subscriptionChoice struct {
	ID     string
	Source string // "--subscription", "AZURE_SUBSCRIPTION_ID", "instance metadata", "the only visible"
}

// resolveSubscription picks the subscription: --subscription, else
// AZURE_SUBSCRIPTION_ID, else the VM's instance metadata (only when the
// identity endpoint is IMDS-like; bounded by a short deadline), else the
// only one the identity can see. With several visible it returns
// *errSeveralSubscriptions carrying their IDs.
func (f *Factory) resolveSubscription(ctx context.Context) (subscriptionChoice, error) {
	if f.cf.subscription != "" {
		s := strings.TrimSpace(f.cf.subscription)
		if placeholderReason(s) != "" {
			return subscriptionChoice{}, flagErrorf("--subscription %q is not a usable subscription ID", f.cf.subscription)
		}
		return subscriptionChoice{s, "--subscription"}, nil
	}
	if s, ok := f.lookupEnv("AZURE_SUBSCRIPTION_ID"); ok && s != "" {
		if placeholderReason(s) != "" {
			return subscriptionChoice{}, withHint(flagErrorf("AZURE_SUBSCRIPTION_ID %q is not a usable subscription ID", s),
				"set it to a real subscription ID or unset it")
		}
		return subscriptionChoice{strings.TrimSpace(s), "AZURE_SUBSCRIPTION_ID"}, nil
	}
	if in, ok, err := f.instance(ctx); err == nil && ok && in.SubscriptionID != "" {
		return subscriptionChoice{in.SubscriptionID, "instance metadata"}, nil
	} else if err != nil {
		var fe *FlagError
		if errors.As(err, &fe) {
			return subscriptionChoice{}, err
		}
		// Not a VM, or IMDS slow: fall through to listing.
	}
	ids, err := f.visibleSubscriptions(ctx)
	if err != nil {
		return subscriptionChoice{}, err
	}
	switch len(ids) {
	case 0:
		id, _ := f.IdentityID()
		return subscriptionChoice{}, withHint(fmt.Errorf("the %s identity sees no subscription", id),
			"give it a role (e.g. Reader) on a subscription, or pass --subscription")
	case 1:
		return subscriptionChoice{ids[0], "the only visible"}, nil
	}
	return subscriptionChoice{}, &errSeveralSubscriptions{ids: ids}
}

func (f *Factory) visibleSubscriptions(ctx context.Context) ([]string, error) {
	c, err := f.ARM()
	if err != nil {
		return nil, err
	}
	var ids []string
	for s, err := range c.Subscriptions(ctx) {
		if err != nil {
			return nil, err
		}
		ids = append(ids, s.SubscriptionID)
	}
	return ids, nil
}

// subscriptionFor resolves the subscription for commands that need exactly
// one.
func (f *Factory) subscriptionFor(ctx context.Context) (string, *arm.Client, error) {
	c, err := f.ARM()
	if err != nil {
		return "", nil, err
	}
	sc, err := f.resolveSubscription(ctx)
	if err != nil {
		return "", nil, err
	}
	return sc.ID, c, nil
}
