package arm

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strings"
)

// SubscriptionsAPIVersion is the api-version used for subscription calls.
const SubscriptionsAPIVersion = "2022-12-01"

// Subscription is an ARM subscription as the list and get calls return it.
type Subscription struct {
	ID                   string                `json:"id"`
	SubscriptionID       string                `json:"subscriptionId"`
	TenantID             string                `json:"tenantId"`
	DisplayName          string                `json:"displayName"`
	State                string                `json:"state"`
	AuthorizationSource  string                `json:"authorizationSource,omitempty"`
	Tags                 map[string]string     `json:"tags,omitempty"`
	ManagedByTenants     []ManagedByTenant     `json:"managedByTenants,omitempty"`
	SubscriptionPolicies *SubscriptionPolicies `json:"subscriptionPolicies,omitempty"`
}

// ManagedByTenant names a tenant that manages a subscription.
type ManagedByTenant struct {
	TenantID string `json:"tenantId"`
}

// SubscriptionPolicies are a subscription's placement and quota settings.
type SubscriptionPolicies struct {
	LocationPlacementID string `json:"locationPlacementId,omitempty"`
	QuotaID             string `json:"quotaId,omitempty"`
	SpendingLimit       string `json:"spendingLimit,omitempty"`
}

// SubscriptionPages lists the subscriptions the identity can see.
func (c *Client) SubscriptionPages() *Pager[Subscription] {
	return newPager[Subscription](c, c.endpointURL(SubscriptionsAPIVersion, nil, "subscriptions"), nil)
}

// Subscriptions yields every subscription the identity can see. An identity
// without any role assignment sees none (no error).
func (c *Client) Subscriptions(ctx context.Context) iter.Seq2[Subscription, error] {
	return c.SubscriptionPages().All(ctx)
}

// GetSubscription reads one subscription.
func (c *Client) GetSubscription(ctx context.Context, id string) (Subscription, error) {
	var s Subscription
	if err := checkSegment("subscription ID", id); err != nil {
		return s, err
	}
	err := c.getJSON(ctx, c.endpointURL(SubscriptionsAPIVersion, nil, "subscriptions", id), &s)
	return s, err
}

// checkSegment rejects values that would change the request path.
func checkSegment(what, v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("arm: empty %s", what)
	}
	if strings.ContainsAny(v, "/?#\\") || v == "." || v == ".." {
		return fmt.Errorf("arm: %s %q must not contain '/', '?', '#' or '\\'", what, v)
	}
	return nil
}

func (c *Client) getJSON(ctx context.Context, u *url.URL, out any) error {
	resp, err := c.send(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	return decodeInto(resp, out)
}

func decodeInto(resp *Response, out any) error {
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return fmt.Errorf("arm: %s %s: response is not the expected JSON: %v", resp.Method, resp.URL, err)
	}
	return nil
}
