package arm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ResourcesAPIVersion is the Microsoft.Resources api-version used to list
// resources when ListResourcesOptions.APIVersion is empty.
const ResourcesAPIVersion = "2021-04-01"

// Resource is any ARM resource, as GET, PUT and the resource lists return
// it (ARM's GenericResourceExpanded). Raw keeps the whole answer, fields
// this type does not model included.
type Resource struct {
	ID               string            `json:"id,omitempty"`
	Name             string            `json:"name,omitempty"`
	Type             string            `json:"type,omitempty"`
	Location         string            `json:"location,omitempty"`
	Kind             string            `json:"kind,omitempty"`
	ManagedBy        string            `json:"managedBy,omitempty"`
	Tags             map[string]string `json:"tags,omitempty"`
	SKU              *SKU              `json:"sku,omitempty"`
	Plan             *Plan             `json:"plan,omitempty"`
	Identity         *ResourceIdentity `json:"identity,omitempty"`
	ExtendedLocation *ExtendedLocation `json:"extendedLocation,omitempty"`
	// Properties is the provider-specific part, undecoded; lists usually
	// leave it out.
	Properties json.RawMessage `json:"properties,omitempty"`
	SystemData json.RawMessage `json:"systemData,omitempty"`
	// CreatedTime, ChangedTime and ProvisioningState come with
	// ListResourcesOptions.Expand.
	CreatedTime       string `json:"createdTime,omitempty"`
	ChangedTime       string `json:"changedTime,omitempty"`
	ProvisioningState string `json:"provisioningState,omitempty"`

	// Raw is the resource's JSON exactly as ARM sent it; nil for a Resource
	// built in code.
	Raw json.RawMessage `json:"-"`
}

// SKU is a resource's pricing tier.
type SKU struct {
	Name     string `json:"name,omitempty"`
	Tier     string `json:"tier,omitempty"`
	Size     string `json:"size,omitempty"`
	Family   string `json:"family,omitempty"`
	Model    string `json:"model,omitempty"`
	Capacity *int   `json:"capacity,omitempty"`
}

// Plan is a marketplace plan.
type Plan struct {
	Name          string `json:"name,omitempty"`
	Publisher     string `json:"publisher,omitempty"`
	Product       string `json:"product,omitempty"`
	PromotionCode string `json:"promotionCode,omitempty"`
	Version       string `json:"version,omitempty"`
}

// ResourceIdentity is the managed identity assigned to a resource.
type ResourceIdentity struct {
	Type                   string                          `json:"type,omitempty"`
	PrincipalID            string                          `json:"principalId,omitempty"`
	TenantID               string                          `json:"tenantId,omitempty"`
	UserAssignedIdentities map[string]UserAssignedIdentity `json:"userAssignedIdentities,omitempty"`
}

// UserAssignedIdentity is one entry of ResourceIdentity.UserAssignedIdentities.
type UserAssignedIdentity struct {
	PrincipalID string `json:"principalId,omitempty"`
	ClientID    string `json:"clientId,omitempty"`
}

// ExtendedLocation is an edge zone or custom location.
type ExtendedLocation struct {
	Name string `json:"name,omitempty"`
	Type string `json:"type,omitempty"`
}

// UnmarshalJSON decodes a resource and keeps its text in Raw.
func (r *Resource) UnmarshalJSON(b []byte) error {
	type plain Resource // without this method
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*r = Resource(p)
	r.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// State is the provisioning state: properties.provisioningState, else the
// expanded top-level field; "" when the resource has neither.
func (r Resource) State() string {
	var p struct {
		ProvisioningState string `json:"provisioningState"`
	}
	if len(r.Properties) > 0 && json.Unmarshal(r.Properties, &p) == nil && p.ProvisioningState != "" {
		return p.ProvisioningState
	}
	return r.ProvisioningState
}

// resourceURL parses id and builds its request URL with apiVersion, the
// version of the resource's provider (ARM has no default for it).
func (c *Client) resourceURL(id, apiVersion string) (*url.URL, ResourceID, error) {
	rid, err := ParseResourceID(id)
	if err != nil {
		return nil, rid, err
	}
	segs := rid.segments()
	for _, s := range segs {
		if s == "." || s == ".." || strings.Contains(s, "\\") {
			return nil, rid, fmt.Errorf("arm: resource ID %q has the segment %q, which would not stay one path segment", rid, s)
		}
	}
	if err := checkAPIVersion(apiVersion, rid.Type()); err != nil {
		return nil, rid, err
	}
	return c.endpointURL(strings.TrimSpace(apiVersion), nil, segs...), rid, nil
}

// checkAPIVersion refuses an empty or malformed api-version before any
// request, naming the type it was for.
func checkAPIVersion(v, typ string) error {
	v = strings.TrimSpace(v)
	if v == "" {
		return fmt.Errorf("arm: no api-version for %s; pass the resource provider's api-version (its provider lists them: GET /subscriptions/{id}/providers/{namespace})", typ)
	}
	if len(v) > 64 || strings.ContainsAny(v, "&?#/ ") {
		return fmt.Errorf("arm: api-version %q for %s is not of the form YYYY-MM-DD[-preview]", v, typ)
	}
	return nil
}

// GetResource reads the resource with ID id. A missing resource is a
// *ResponseError (ResourceNotFound, ResourceGroupNotFound, ParentResourceNotFound).
func (c *Client) GetResource(ctx context.Context, id, apiVersion string) (Resource, error) {
	var r Resource
	u, _, err := c.resourceURL(id, apiVersion)
	if err != nil {
		return r, err
	}
	err = c.getJSON(ctx, u, &r)
	return r, err
}

// BeginCreateOrUpdateResource PUTs body (the resource's JSON: location,
// tags, properties…) at id and returns a Poller for the operation; ARM may
// answer at once (200 replaced, 201 created) or accept it (201/202 with
// Azure-AsyncOperation or Location). The Poller's result is the resource.
func (c *Client) BeginCreateOrUpdateResource(ctx context.Context, id, apiVersion string, body []byte) (*Poller, error) {
	u, _, err := c.resourceURL(id, apiVersion)
	if err != nil {
		return nil, err
	}
	if err := checkObject(body); err != nil {
		return nil, err
	}
	return c.begin(ctx, http.MethodPut, u, body)
}

// CreateOrUpdateResource is BeginCreateOrUpdateResource waiting for the
// operation to end; it returns the resource as ARM then has it.
func (c *Client) CreateOrUpdateResource(ctx context.Context, id, apiVersion string, body []byte) (Resource, error) {
	p, err := c.BeginCreateOrUpdateResource(ctx, id, apiVersion, body)
	if err != nil {
		return Resource{}, err
	}
	return c.waitForResource(ctx, p, id, apiVersion)
}

// UpdateResourceTags PATCHes the resource's tags, replacing the whole map
// (nil or empty removes every tag), and waits if ARM accepts it for later.
func (c *Client) UpdateResourceTags(ctx context.Context, id, apiVersion string, tags map[string]string) (Resource, error) {
	u, _, err := c.resourceURL(id, apiVersion)
	if err != nil {
		return Resource{}, err
	}
	if tags == nil {
		tags = map[string]string{}
	}
	body, err := json.Marshal(map[string]any{"tags": tags})
	if err != nil {
		return Resource{}, err
	}
	p, err := c.begin(ctx, http.MethodPatch, u, body)
	if err != nil {
		return Resource{}, err
	}
	return c.waitForResource(ctx, p, id, apiVersion)
}

// waitForResource waits for p and decodes the resource it ends with; when
// the final answer has no body (a Location poll ending 204 or 200 empty),
// it reads the resource.
func (c *Client) waitForResource(ctx context.Context, p *Poller, id, apiVersion string) (Resource, error) {
	resp, err := p.Wait(ctx)
	if err != nil {
		return Resource{}, err
	}
	if len(bytes.TrimSpace(resp.Body)) == 0 {
		return c.GetResource(ctx, id, apiVersion)
	}
	var r Resource
	err = decodeInto(resp, &r)
	return r, err
}

// BeginDeleteResource deletes the resource with ID id and returns a Poller:
// Done at once when ARM deleted it (200) or it did not exist (204), else
// following Azure-AsyncOperation or Location until the deletion ends.
func (c *Client) BeginDeleteResource(ctx context.Context, id, apiVersion string) (*Poller, error) {
	u, _, err := c.resourceURL(id, apiVersion)
	if err != nil {
		return nil, err
	}
	return c.begin(ctx, http.MethodDelete, u, nil)
}

// checkObject refuses a body that is not one JSON object, before sending.
func checkObject(body []byte) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return errors.New("arm: the resource body must be a JSON object such as {\"location\": \"eastus\", \"properties\": {}}")
	}
	return nil
}

// ListResourcesOptions narrows a resource list.
type ListResourcesOptions struct {
	// ResourceGroup lists the group's resources; "" lists the subscription's.
	ResourceGroup string
	// Filter is an OData $filter such as ResourceTypeFilter("Microsoft.KeyVault/vaults")
	// or TagFilter("env", "prod"). ARM allows few combinations: a tag
	// filter stands alone, and the resources it selects come without tags.
	Filter string
	// Expand is a comma list of createdTime, changedTime, provisioningState.
	Expand string
	// Top limits the page size ($top); 0 lets ARM choose. Paging still
	// continues to the end.
	Top int
	// APIVersion of Microsoft.Resources; "" is ResourcesAPIVersion.
	APIVersion string
}

// ResourceTypeFilter returns the $filter that selects resources of the
// full type t ("Microsoft.Network/virtualNetworks").
func ResourceTypeFilter(t string) string { return "resourceType eq " + odataString(t) }

// TagNameFilter returns the $filter that selects resources (or groups)
// carrying the tag name, whatever its value.
func TagNameFilter(name string) string { return "tagName eq " + odataString(name) }

// odataString quotes s as an OData string literal (quotes doubled).
func odataString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// ResourcePages lists the resources of subscription sub, or of one of its
// groups (o.ResourceGroup).
func (c *Client) ResourcePages(sub string, o *ListResourcesOptions) *Pager[Resource] {
	if o == nil {
		o = &ListResourcesOptions{}
	}
	if err := checkSegment("subscription ID", sub); err != nil {
		return newPager[Resource](c, nil, err)
	}
	segs := []string{"subscriptions", sub}
	if o.ResourceGroup != "" {
		if err := checkSegment("resource group name", o.ResourceGroup); err != nil {
			return newPager[Resource](c, nil, err)
		}
		segs = append(segs, "resourceGroups", o.ResourceGroup)
	}
	segs = append(segs, "resources")
	if o.Top < 0 {
		return newPager[Resource](c, nil, fmt.Errorf("arm: ListResourcesOptions.Top is %d; want 0 (server default) or a positive page size", o.Top))
	}
	v := o.APIVersion
	if strings.TrimSpace(v) == "" {
		v = ResourcesAPIVersion
	}
	if err := checkAPIVersion(v, "Microsoft.Resources/resources"); err != nil {
		return newPager[Resource](c, nil, err)
	}
	q := url.Values{}
	if o.Filter != "" {
		q.Set("$filter", o.Filter)
	}
	if o.Expand != "" {
		q.Set("$expand", o.Expand)
	}
	if o.Top > 0 {
		q.Set("$top", strconv.Itoa(o.Top))
	}
	return newPager[Resource](c, c.endpointURL(strings.TrimSpace(v), q, segs...), nil)
}

// Resources yields every resource that ResourcePages lists.
func (c *Client) Resources(ctx context.Context, sub string, o *ListResourcesOptions) iter.Seq2[Resource, error] {
	return c.ResourcePages(sub, o).All(ctx)
}
