package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

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
		if why := subscriptionProblem(s); why != "" {
			return subscriptionChoice{}, flagErrorf("--subscription %q is not a usable subscription ID: %s", f.cf.subscription, why)
		}
		return subscriptionChoice{s, "--subscription"}, nil
	}
	if s, ok := f.lookupEnv("AZURE_SUBSCRIPTION_ID"); ok && s != "" {
		if why := subscriptionProblem(s); why != "" {
			return subscriptionChoice{}, withHint(flagErrorf("AZURE_SUBSCRIPTION_ID %q is not a usable subscription ID: %s", s, why),
				"set it to a real subscription ID or unset it")
		}
		return subscriptionChoice{strings.TrimSpace(s), "AZURE_SUBSCRIPTION_ID"}, nil
	}
	if in, ok, err := f.instance(ctx); err == nil && ok && in.SubscriptionID != "" {
		if why := subscriptionProblem(in.SubscriptionID); why != "" {
			// Not the user's input: an error (exit 1), not a usage error.
			return subscriptionChoice{}, withHint(fmt.Errorf("the instance metadata names subscription %q, which is not a usable subscription ID: %s", clip(in.SubscriptionID), why),
				"pass --subscription or set AZURE_SUBSCRIPTION_ID")
		}
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

// subscriptionProblem says why s cannot be used as a subscription ID, or
// "" if it can. Whatever its source, the ID becomes a segment of request
// paths: a '/' or '?' in it would aim a request (a DELETE, say) at another
// resource, so the check is the one the arm package applies to path
// segments, plus placeholders and characters no subscription ID has.
func subscriptionProblem(s string) string {
	if why := placeholderReason(s); why != "" {
		return why
	}
	t := strings.TrimSpace(s)
	if strings.ContainsAny(t, "/?#\\%") || t == "." || t == ".." {
		return "it must not contain '/', '?', '#', '%' or '\\'"
	}
	if strings.IndexFunc(t, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return "it must not contain spaces or control characters"
	}
	return ""
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
