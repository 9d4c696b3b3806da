package arm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/config"
	"github.com/azmsi/azmsi/emulator/internal/store"
)

// armGroup is the ResourceGroup JSON of protocols §12.5.
type armGroup struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags,omitempty"`
	ManagedBy  string            `json:"managedBy,omitempty"`
	Properties struct {
		ProvisioningState string `json:"provisioningState"`
	} `json:"properties"`
}

func toARMGroup(cfgSub *config.Subscription, g *store.Group) armGroup {
	out := armGroup{
		ID:        "/subscriptions/" + cfgSub.SubscriptionID + "/resourceGroups/" + g.Name,
		Name:      g.Name,
		Type:      "Microsoft.Resources/resourceGroups",
		Location:  g.Location,
		Tags:      g.Tags,
		ManagedBy: g.ManagedBy,
	}
	out.Properties.ProvisioningState = "Succeeded"
	if g.Deleting() {
		// "Deleting" during deletion is unverified (§16 item 10).
		out.Properties.ProvisioningState = "Deleting"
	}
	return out
}

// groupSubscription validates the subscription of a resource-group request
// and returns it, or writes the error.
func groupSubscription(req *Request) *config.Subscription {
	if !checkSubscriptionID(req) {
		return nil
	}
	s := findSubscription(req.cfg, req.sub())
	if s == nil {
		subscriptionNotFound(req)
		return nil
	}
	return s
}

func groupScope(sub *config.Subscription, name string) string {
	return "/subscriptions/" + sub.SubscriptionID + "/resourcegroups/" + name
}

func groupNotFound(req *Request) {
	req.fail(http.StatusNotFound, "ResourceGroupNotFound",
		fmt.Sprintf("Resource group '%s' could not be found.", req.group()))
}

// writable refuses writes to subscriptions that ARM makes read-only.
func writable(req *Request, sub *config.Subscription) bool {
	switch sub.State {
	case "Disabled", "Deleted", "PastDue":
		req.fail(http.StatusConflict, "ReadOnlyDisabledSubscription", fmt.Sprintf(
			"The subscription '%s' is disabled and therefore marked as read only. You cannot perform any write actions on this subscription until it is re-enabled.", sub.SubscriptionID))
		return false
	}
	return true
}

// ListGroups answers a page of the subscription's resource groups.
func (a *Service) ListGroups(req *Request) {
	sub := groupSubscription(req)
	if sub == nil {
		return
	}
	// Read at the subscription lists every group; otherwise only the
	// groups the caller may read, and 403 when it holds no role in the
	// subscription at all.
	subScope := "/subscriptions/" + sub.SubscriptionID
	all := a.allowed(req, actionGroupRead, subScope)
	if !all && !a.sees(req, subScope) {
		forbid(req, actionGroupRead, subScope)
		return
	}
	q := req.r.URL.Query()
	var filter *tagFilter
	var extra string
	if fs := q.Get("$filter"); fs != "" {
		f, err := parseTagFilter(fs)
		if err != nil {
			req.fail(http.StatusBadRequest, "InvalidFilterInQueryString", err.Error())
			return
		}
		filter = f
		extra = "%24filter=" + url.QueryEscape(fs)
	}
	left := -1
	if ts := q.Get("$top"); ts != "" {
		n, err := strconv.Atoi(ts)
		if err != nil || n < 1 {
			req.fail(http.StatusBadRequest, "InvalidTopInQueryString", fmt.Sprintf(
				"The value '%s' of $top is invalid; it must be a positive integer.", ts))
			return
		}
		left = n
	}
	scope := "groups:" + strings.ToLower(sub.SubscriptionID)
	after := ""
	if raw := skipTokenParam(q); raw != "" {
		t, err := parseSkipToken(raw, scope)
		if err != nil {
			req.fail(http.StatusBadRequest, "InvalidSkipToken", err.Error())
			return
		}
		after, left = t.After, t.Left
	}

	prefix := strings.ToLower(sub.SubscriptionID) + "/"
	keys := a.sortedKeysLocked(strings.ToLower(sub.SubscriptionID))
	limit := a.pageSize
	if left >= 0 && left < limit {
		limit = left
	}
	page := make([]armGroup, 0, min(limit, len(keys)))
	last, more := "", false
	for _, k := range keys[sort.SearchStrings(keys, prefix+after):] {
		name := k[len(prefix):]
		if name <= after || (!all && !a.allowed(req, actionGroupRead, groupScope(sub, name))) {
			continue
		}
		g := a.groups[k]
		if filter != nil && !filter.match(g.Tags) {
			continue
		}
		if len(page) == limit {
			more = true // one more match exists: there is a next page
			break
		}
		page = append(page, toARMGroup(sub, g))
		last = k
	}
	body := &groupPage{Value: page}
	if more && (left < 0 || left > len(page)) {
		next := skipToken{V: 1, Scope: scope, After: strings.TrimPrefix(last, prefix), Left: -1}
		if left > 0 {
			next.Left = left - len(page)
		}
		body.NextLink = nextLink(req.r, "/subscriptions/"+url.PathEscape(req.sub())+"/resourcegroups", req.api, extra, next)
	}
	req.json(http.StatusOK, body)
}

// GetGroup answers one resource group.
func (a *Service) GetGroup(req *Request) { a.getGroup(req, false) }

// HeadGroup is CheckExistence: 204 or 404.
func (a *Service) HeadGroup(req *Request) { a.getGroup(req, true) }

func (a *Service) getGroup(req *Request, head bool) {
	sub := groupSubscription(req)
	if sub == nil {
		return
	}
	if !a.authorize(req, actionGroupRead, groupScope(sub, req.group())) {
		return
	}
	g := a.groups[store.Key(sub.SubscriptionID, req.group())]
	if head {
		// CheckExistence: 204 or 404, never a body (§12.5).
		if g == nil {
			req.header().Set("x-ms-error-code", "ResourceGroupNotFound")
			req.empty(http.StatusNotFound)
			return
		}
		req.empty(http.StatusNoContent)
		return
	}
	if g == nil {
		groupNotFound(req)
		return
	}
	req.json(http.StatusOK, toARMGroup(sub, g))
}

// beingDeleted answers 409 for writes to a group in the Deleting state.
func beingDeleted(req *Request, g *store.Group) bool {
	if g == nil || !g.Deleting() {
		return false
	}
	req.fail(http.StatusConflict, "ResourceGroupBeingDeleted", fmt.Sprintf(
		"The resource group '%s' is in deprovisioning state and cannot perform this operation.", g.Name))
	return true
}

// writePrelude runs the checks shared by PUT and PATCH; it returns the
// subscription and the existing group (nil if none), or ok=false after
// writing the error.
func (a *Service) writePrelude(req *Request, action string) (*config.Subscription, *store.Group, bool) {
	sub := groupSubscription(req)
	if sub == nil {
		return nil, nil, false
	}
	if msg, ok := validateGroupName(req.group()); !ok {
		req.fail(http.StatusBadRequest, "InvalidResourceGroup", msg)
		return nil, nil, false
	}
	if !a.authorize(req, action, groupScope(sub, req.group())) {
		return nil, nil, false
	}
	if !writable(req, sub) {
		return nil, nil, false
	}
	g := a.groups[store.Key(sub.SubscriptionID, req.group())]
	if beingDeleted(req, g) {
		return nil, nil, false
	}
	return sub, g, true
}

// PutGroup creates or replaces a resource group.
func (a *Service) PutGroup(req *Request) {
	sub, old, ok := a.writePrelude(req, actionGroupWrite)
	if !ok {
		return
	}
	var body rgBody
	if err := readARMBody(req, &body); err != nil {
		badContent(req, err)
		return
	}
	if body.Location == nil || strings.TrimSpace(*body.Location) == "" {
		req.fail(http.StatusBadRequest, "LocationRequired", "The location property is required for this definition.")
		return
	}
	loc := normalizeLocation(*body.Location)
	if config.CheckLocation(loc) != nil {
		// Code name unverified (§16 item 9).
		req.fail(http.StatusBadRequest, "LocationNotAvailableForResourceGroup", fmt.Sprintf(
			"The provided location '%s' is not available for resource group. Locations are region names of lower-case letters and digits, such as 'eastus'.", *body.Location))
		return
	}
	if old != nil && old.Location != loc {
		locationConflict(req, loc, old.Location)
		return
	}
	tags, ok := groupTags(req, body.Tags)
	if !ok {
		return
	}
	g := store.Group{SubscriptionID: sub.SubscriptionID, Name: req.group(), Location: loc, Tags: tags}
	if body.ManagedBy != nil {
		g.ManagedBy = *body.ManagedBy
	}
	status := http.StatusCreated
	g.Created = true
	if old != nil {
		g.Name = old.Name // casing as first created
		g.Created = old.Created
		status = http.StatusOK
	}
	if err := a.putLocked(g); err != nil {
		a.internalError(req, err)
		return
	}
	req.json(status, toARMGroup(sub, &g))
}

// PatchGroup updates tags and managedBy; fields not sent keep their value,
// and tags, when sent, replace the whole map (unverified, §16 item 10).
func (a *Service) PatchGroup(req *Request) {
	sub, old, ok := a.writePrelude(req, actionGroupWrite)
	if !ok {
		return
	}
	if old == nil {
		groupNotFound(req)
		return
	}
	var body rgBody
	if err := readARMBody(req, &body); err != nil {
		badContent(req, err)
		return
	}
	g := old.Clone()
	if body.Location != nil && normalizeLocation(*body.Location) != old.Location {
		locationConflict(req, *body.Location, old.Location)
		return
	}
	if body.Tags != nil {
		if g.Tags, ok = groupTags(req, body.Tags); !ok {
			return
		}
	}
	if body.ManagedBy != nil {
		g.ManagedBy = *body.ManagedBy
	}
	if err := a.putLocked(g); err != nil {
		a.internalError(req, err)
		return
	}
	req.json(http.StatusOK, toARMGroup(sub, &g))
}

// putLocked stores g durably, then updates the index.
func (a *Service) putLocked(g store.Group) error {
	if err := a.store.Put(g); err != nil {
		return err
	}
	k := store.Key(g.SubscriptionID, g.Name)
	if old := a.groups[k]; old != nil && old.Deleting() {
		a.deleting--
	}
	c := g.Clone()
	if a.groups[k] == nil {
		a.indexAddLocked(k)
	}
	a.groups[k] = &c
	if c.Deleting() {
		a.deleting++
		if a.nextDelete.IsZero() || c.DeleteAt.Before(a.nextDelete) {
			a.nextDelete = c.DeleteAt
		}
	}
	return nil
}

// locationConflict answers a write that would move a group: a resource
// group keeps the location it was created in.
func locationConflict(req *Request, sent, existing string) {
	req.fail(http.StatusConflict, "InvalidResourceGroupLocation", fmt.Sprintf(
		"Invalid resource group location '%s'. The Resource group already exists in location '%s'.", sent, existing))
}

// groupTags decodes and validates a body's "tags" member; on failure it has
// answered the request.
func groupTags(req *Request, raw json.RawMessage) (map[string]string, bool) {
	tags, err := decodeTags(raw)
	if err != nil {
		badContent(req, err)
		return nil, false
	}
	if code, msg, ok := validateTags(tags); !ok {
		req.fail(http.StatusBadRequest, code, msg)
		return nil, false
	}
	return tags, true
}
