package arm

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/config"
)

// armSubscription is the Subscription shape of protocols §12.5.
type armSubscription struct {
	ID                   string            `json:"id"`
	AuthorizationSource  string            `json:"authorizationSource"`
	ManagedByTenants     []map[string]any  `json:"managedByTenants"`
	SubscriptionID       string            `json:"subscriptionId"`
	TenantID             string            `json:"tenantId"`
	DisplayName          string            `json:"displayName"`
	State                string            `json:"state"`
	SubscriptionPolicies map[string]string `json:"subscriptionPolicies"`
	Tags                 map[string]string `json:"tags"`
}

func toARMSubscription(cfg *config.Config, s *config.Subscription) armSubscription {
	return armSubscription{
		ID:                  "/subscriptions/" + s.SubscriptionID,
		AuthorizationSource: "RoleBased",
		ManagedByTenants:    []map[string]any{},
		SubscriptionID:      s.SubscriptionID,
		TenantID:            cfg.TenantID,
		DisplayName:         s.DisplayName,
		State:               s.State,
		SubscriptionPolicies: map[string]string{
			"locationPlacementId": "Public_2014-09-01",
			"quotaId":             "PayAsYouGo_2014-09-01",
			"spendingLimit":       "Off",
		},
		Tags: map[string]string{},
	}
}

// findSubscription looks a subscription up case-insensitively.
func findSubscription(cfg *config.Config, id string) *config.Subscription {
	for i := range cfg.Subscriptions {
		if strings.EqualFold(cfg.Subscriptions[i].SubscriptionID, id) {
			return &cfg.Subscriptions[i]
		}
	}
	return nil
}

// ListSubscriptions: only subscriptions the caller holds a role in; none is
// an empty list, not an error (§12.5).
func (a *Service) ListSubscriptions(req *Request) {
	var visible []*config.Subscription
	for i := range req.cfg.Subscriptions {
		if a.sees(req, "/subscriptions/"+req.cfg.Subscriptions[i].SubscriptionID) {
			visible = append(visible, &req.cfg.Subscriptions[i])
		}
	}
	sort.Slice(visible, func(i, j int) bool {
		return strings.ToLower(visible[i].SubscriptionID) < strings.ToLower(visible[j].SubscriptionID)
	})
	after := ""
	if raw := skipTokenParam(req.r.URL.Query()); raw != "" {
		t, err := parseSkipToken(raw, "subscriptions")
		if err != nil {
			req.fail(http.StatusBadRequest, "InvalidSkipToken", err.Error())
			return
		}
		after = t.After
	}
	page := []armSubscription{}
	more := false
	last := ""
	for _, s := range visible {
		k := strings.ToLower(s.SubscriptionID)
		if k <= after {
			continue
		}
		if len(page) == a.pageSize {
			more = true
			break
		}
		page = append(page, toARMSubscription(req.cfg, s))
		last = k
	}
	body := armList[armSubscription]{Value: page}
	if more {
		body.NextLink = nextLink(req.r, "/subscriptions", req.api, "", skipToken{V: 1, Scope: "subscriptions", After: last, Left: -1})
	}
	req.json(http.StatusOK, body)
}

// checkSubscriptionID answers 400 InvalidSubscriptionId for a non-GUID.
func checkSubscriptionID(req *Request) bool {
	if config.GUID.MatchString(req.sub()) {
		return true
	}
	// Wording unverified (protocols §16 item 9).
	req.fail(http.StatusBadRequest, "InvalidSubscriptionId",
		fmt.Sprintf("The provided subscription identifier '%s' is malformed or invalid.", req.sub()))
	return false
}

func subscriptionNotFound(req *Request) {
	req.fail(http.StatusNotFound, "SubscriptionNotFound",
		fmt.Sprintf("The subscription '%s' could not be found.", req.sub()))
}

// GetSubscription answers one subscription the caller may see.
func (a *Service) GetSubscription(req *Request) {
	if !checkSubscriptionID(req) {
		return
	}
	s := findSubscription(req.cfg, req.sub())
	if s == nil || !a.sees(req, "/subscriptions/"+s.SubscriptionID) {
		subscriptionNotFound(req)
		return
	}
	req.json(http.StatusOK, toARMSubscription(req.cfg, s))
}

// ListTenants returns the emulated tenant (the Azure CLI calls /tenants).
func (a *Service) ListTenants(req *Request) {
	t := req.cfg.TenantID
	req.json(http.StatusOK, map[string]any{"value": []map[string]any{{
		"id":             "/tenants/" + t,
		"tenantId":       t,
		"tenantCategory": "Home",
		"countryCode":    "US",
		"displayName":    "azmsi emulated tenant",
		"domains":        []string{"azmsi-emulator.onmicrosoft.com"},
		"defaultDomain":  "azmsi-emulator.onmicrosoft.com",
		"tenantType":     "AAD",
	}}})
}
