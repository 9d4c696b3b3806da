package arm

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ResourceGroupsAPIVersion is the api-version used for resource-group calls.
const ResourceGroupsAPIVersion = "2021-04-01"

// ResourceGroup is an ARM resource group.
type ResourceGroup struct {
	ID         string                  `json:"id,omitempty"`
	Name       string                  `json:"name,omitempty"`
	Type       string                  `json:"type,omitempty"`
	Location   string                  `json:"location"`
	ManagedBy  string                  `json:"managedBy,omitempty"`
	Tags       map[string]string       `json:"tags,omitempty"`
	Properties ResourceGroupProperties `json:"properties"`
}

// ResourceGroupProperties holds the group's provisioning state.
type ResourceGroupProperties struct {
	ProvisioningState string `json:"provisioningState,omitempty"`
}

// ListGroupsOptions narrows a resource-group list.
type ListGroupsOptions struct {
	// Filter is an OData $filter, e.g. TagFilter("env", "prod").
	Filter string
	// Top limits the page size ($top); 0 lets ARM choose. Paging still
	// continues to the end.
	Top int
}

// TagFilter returns the $filter that selects groups tagged name=value.
// Single quotes are doubled, as OData string literals require.
func TagFilter(name, value string) string {
	return "tagName eq " + odataString(name) + " and tagValue eq " + odataString(value)
}

func (c *Client) groupURL(sub, name string) (*url.URL, error) {
	if err := checkSegment("subscription ID", sub); err != nil {
		return nil, err
	}
	if err := checkSegment("resource group name", name); err != nil {
		return nil, err
	}
	return c.endpointURL(ResourceGroupsAPIVersion, nil, "subscriptions", sub, "resourcegroups", name), nil
}

// ResourceGroupPages lists the groups of subscription sub.
func (c *Client) ResourceGroupPages(sub string, o *ListGroupsOptions) *Pager[ResourceGroup] {
	if err := checkSegment("subscription ID", sub); err != nil {
		return newPager[ResourceGroup](c, nil, err)
	}
	q := url.Values{}
	if o != nil {
		if o.Filter != "" {
			q.Set("$filter", o.Filter)
		}
		if o.Top < 0 {
			return newPager[ResourceGroup](c, nil, fmt.Errorf("arm: ListGroupsOptions.Top is %d; want 0 (server default) or a positive page size", o.Top))
		}
		if o.Top > 0 {
			q.Set("$top", strconv.Itoa(o.Top))
		}
	}
	p := newPager[ResourceGroup](c, c.endpointURL(ResourceGroupsAPIVersion, q, "subscriptions", sub, "resourcegroups"), nil)
	p.decode = decodeGroupsPage
	return p
}

// ResourceGroups yields every group of subscription sub.
func (c *Client) ResourceGroups(ctx context.Context, sub string, o *ListGroupsOptions) iter.Seq2[ResourceGroup, error] {
	return c.ResourceGroupPages(sub, o).All(ctx)
}

// GetResourceGroup reads one group; a missing group is a *ResponseError with
// Code "ResourceGroupNotFound".
func (c *Client) GetResourceGroup(ctx context.Context, sub, name string) (ResourceGroup, error) {
	var rg ResourceGroup
	u, err := c.groupURL(sub, name)
	if err != nil {
		return rg, err
	}
	err = c.getJSON(ctx, u, &rg)
	return rg, err
}

// ResourceGroupExists sends HEAD: 204 → true, 404 → false, anything else
// (even 200) is an error, as in the Azure SDKs.
func (c *Client) ResourceGroupExists(ctx context.Context, sub, name string) (bool, error) {
	u, err := c.groupURL(sub, name)
	if err != nil {
		return false, err
	}
	resp, err := c.send(ctx, http.MethodHead, u, nil)
	if err != nil {
		if re, ok := err.(*ResponseError); ok && re.StatusCode == http.StatusNotFound {
			return false, nil
		}
		return false, err
	}
	if resp.StatusCode != http.StatusNoContent {
		return false, fmt.Errorf("arm: HEAD %s: unexpected status %d; resource-group existence is 204 or 404", resp.URL, resp.StatusCode)
	}
	return true, nil
}

// CreateOrUpdateResourceGroup PUTs the group. created is true when ARM
// answered 201 (new group), false for 200 (existing group updated).
// rg.Location is required; ID, Name, Type and Properties are ignored.
func (c *Client) CreateOrUpdateResourceGroup(ctx context.Context, sub, name string, rg ResourceGroup) (ResourceGroup, bool, error) {
	var out ResourceGroup
	u, err := c.groupURL(sub, name)
	if err != nil {
		return out, false, err
	}
	if strings.TrimSpace(rg.Location) == "" {
		return out, false, fmt.Errorf("arm: creating resource group %q: a location is required (e.g. eastus)", name)
	}
	body, err := json.Marshal(struct {
		Location  string            `json:"location"`
		Tags      map[string]string `json:"tags,omitempty"`
		ManagedBy string            `json:"managedBy,omitempty"`
	}{rg.Location, rg.Tags, rg.ManagedBy})
	if err != nil {
		return out, false, err
	}
	resp, err := c.send(ctx, http.MethodPut, u, body)
	if err != nil {
		return out, false, err
	}
	err = decodeInto(resp, &out)
	return out, resp.StatusCode == http.StatusCreated, err
}

// UpdateResourceGroupTags PATCHes the group's tags, replacing the whole map.
// A nil or empty map removes every tag.
func (c *Client) UpdateResourceGroupTags(ctx context.Context, sub, name string, tags map[string]string) (ResourceGroup, error) {
	var out ResourceGroup
	u, err := c.groupURL(sub, name)
	if err != nil {
		return out, err
	}
	if tags == nil {
		tags = map[string]string{}
	}
	body, err := json.Marshal(map[string]any{"tags": tags})
	if err != nil {
		return out, err
	}
	resp, err := c.send(ctx, http.MethodPatch, u, body)
	if err != nil {
		return out, err
	}
	err = decodeInto(resp, &out)
	return out, err
}

// BeginDeleteResourceGroup starts deleting the group and returns a Poller.
// Callers that do not want to wait simply drop it; Wait blocks until ARM
// reports the deletion finished.
func (c *Client) BeginDeleteResourceGroup(ctx context.Context, sub, name string) (*Poller, error) {
	u, err := c.groupURL(sub, name)
	if err != nil {
		return nil, err
	}
	return c.begin(ctx, http.MethodDelete, u, nil)
}
