package arm

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// ProvidersAPIVersion is the api-version used to read resource providers.
const ProvidersAPIVersion = "2021-04-01"

// Provider is a resource provider as a subscription (or the tenant) sees it.
type Provider struct {
	ID                string                 `json:"id,omitempty"`
	Namespace         string                 `json:"namespace"`
	RegistrationState string                 `json:"registrationState,omitempty"`
	ResourceTypes     []ProviderResourceType `json:"resourceTypes,omitempty"`
}

// ProviderResourceType is one type a provider serves, with the api-versions
// it accepts.
type ProviderResourceType struct {
	// ResourceType is the type without the namespace: "vaults",
	// "virtualNetworks/subnets".
	ResourceType      string   `json:"resourceType"`
	Locations         []string `json:"locations,omitempty"`
	APIVersions       []string `json:"apiVersions,omitempty"`
	DefaultAPIVersion string   `json:"defaultApiVersion,omitempty"`
}

// GetProvider reads provider namespace as subscription sub sees it; sub ""
// reads it at the tenant (GET /providers/{namespace}).
func (c *Client) GetProvider(ctx context.Context, sub, namespace string) (Provider, error) {
	var p Provider
	if err := checkSegment("provider namespace", namespace); err != nil {
		return p, err
	}
	segs := []string{"providers", namespace}
	if sub != "" {
		if err := checkSegment("subscription ID", sub); err != nil {
			return p, err
		}
		segs = append([]string{"subscriptions", sub}, segs...)
	}
	err := c.getJSON(ctx, c.endpointURL(ProvidersAPIVersion, nil, segs...), &p)
	return p, err
}

// APIVersion picks the api-version for resourceType (without the
// namespace, matched case-insensitively), as the Azure CLI does: the newest
// stable version, else the newest preview. ok is false when the provider
// does not list the type or lists no version for it.
func (p Provider) APIVersion(resourceType string) (string, bool) {
	for _, t := range p.ResourceTypes {
		if !strings.EqualFold(t.ResourceType, resourceType) || len(t.APIVersions) == 0 {
			continue
		}
		versions := slices.Clone(t.APIVersions)
		slices.SortFunc(versions, func(a, b string) int { return strings.Compare(b, a) }) // dates: newest first
		for _, v := range versions {
			if !strings.Contains(strings.ToLower(v), "preview") {
				return v, true
			}
		}
		return versions[0], true
	}
	return "", false
}

// ResourceAPIVersion finds an api-version for the resource with ID id:
// Microsoft.Resources' own for subscriptions and resource groups, else the
// one its provider lists for its type (Provider.APIVersion), read in the
// ID's subscription. It costs one request for a provider's resource.
func (c *Client) ResourceAPIVersion(ctx context.Context, id string) (string, error) {
	rid, err := ParseResourceID(id)
	if err != nil {
		return "", err
	}
	switch {
	case rid.Namespace == "" && rid.ResourceGroup != "":
		return ResourceGroupsAPIVersion, nil
	case rid.Namespace == "":
		return SubscriptionsAPIVersion, nil
	}
	p, err := c.GetProvider(ctx, rid.SubscriptionID, rid.Namespace)
	if err != nil {
		return "", fmt.Errorf("arm: finding an api-version for %s: %w", rid.Type(), err)
	}
	typ := strings.Join(rid.Types, "/")
	v, ok := p.APIVersion(typ)
	if !ok {
		return "", fmt.Errorf("arm: provider %s lists no api-version for resource type %q; pass the api-version yourself", rid.Namespace, typ)
	}
	return v, nil
}
