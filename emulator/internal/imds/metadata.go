package imds

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/config"
	"github.com/azmsi/azmsi/emulator/internal/httpx"
)

// imdsAPIVersions are the instance-metadata api-versions the emulator
// accepts, newest first. The list follows the instance-metadata doc's
// "supported versions" (protocols.md §4); that every one of them works on
// every route of real IMDS is unverified.
var imdsAPIVersions = []string{
	"2025-04-07", "2024-07-17", "2024-03-15", "2023-11-15", "2023-07-01",
	"2021-12-13", "2021-11-15", "2021-11-01", "2021-10-01", "2021-05-01",
	"2021-03-01", "2021-02-01", "2021-01-01", "2020-12-01", "2020-10-01",
	"2020-09-01", "2020-07-15", "2020-06-01", "2019-11-01", "2019-08-15",
	"2019-08-01", "2019-06-04", "2019-06-01", "2019-04-30", "2019-03-11",
	"2019-02-01", "2018-10-01", "2018-04-02", "2018-02-01", "2017-12-01",
	"2017-10-01", "2017-08-01", "2017-04-02", "2017-03-01",
}

func isIMDSAPIVersion(v string) bool { return slices.Contains(imdsAPIVersions, v) }

// isTokenAPIVersion: the token endpoint needs 2018-02-01 or later
// (protocols.md §3.1).
func isTokenAPIVersion(v string) bool { return isIMDSAPIVersion(v) && v >= "2018-02-01" }

// badAPIVersion answers like IMDS does for a missing or unknown api-version
// (protocols.md §4).
func badAPIVersion(w http.ResponseWriter) {
	httpx.WriteJSON(w, http.StatusBadRequest, map[string]any{
		"error":           "Bad request. api-version is invalid or was not specified in the request. For more information refer to aka.ms/azureimds",
		"newest-versions": imdsAPIVersions[:3],
	})
}

// Versions serves /metadata/versions.
func (s *Service) Versions(w http.ResponseWriter, r *http.Request) {
	if !checkHeaders(w, r, false) {
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"apiVersions": imdsAPIVersions})
}

// metadataQuery makes the checks every metadata endpoint shares: headers,
// query syntax, api-version. On failure it has answered the request.
func metadataQuery(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	if !checkHeaders(w, r, false) {
		return nil, false
	}
	q, bad := httpx.ParseQuery(r.URL.RawQuery)
	if bad != "" {
		httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "Bad request. " + bad})
		return nil, false
	}
	if !isIMDSAPIVersion(q.Get("api-version")) {
		badAPIVersion(w)
		return nil, false
	}
	return q, true
}

// IdentityInfo serves /metadata/identity/info.
func (s *Service) IdentityInfo(w http.ResponseWriter, r *http.Request) {
	if _, ok := metadataQuery(w, r); !ok {
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"tenantId": s.config().TenantID})
}

// instanceDocument builds /metadata/instance. Every primitive is a string
// and inapplicable values are "" (protocols.md §4).
func instanceDocument(cfg *config.Config) map[string]any {
	in := cfg.Instance
	keys := make([]string, 0, len(in.Tags))
	for k := range in.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tagPairs := make([]string, 0, len(keys))
	tagsList := make([]any, 0, len(keys))
	for _, k := range keys {
		tagPairs = append(tagPairs, k+":"+in.Tags[k])
		tagsList = append(tagsList, map[string]any{"name": k, "value": in.Tags[k]})
	}
	compute := map[string]any{
		"azEnvironment":        "AzurePublicCloud",
		"location":             in.Location,
		"name":                 in.Name,
		"offer":                "",
		"osType":               "Linux",
		"platformFaultDomain":  "0",
		"platformUpdateDomain": "0",
		"provider":             "Microsoft.Compute",
		"publisher":            "",
		"resourceGroupName":    in.ResourceGroupName,
		"resourceId":           in.ResourceID(),
		"sku":                  "",
		"subscriptionId":       in.SubscriptionID,
		"tags":                 strings.Join(tagPairs, ";"),
		"tagsList":             tagsList,
		"version":              "",
		"vmId":                 in.VMID,
		"vmScaleSetName":       "",
		"vmSize":               "Standard_D2s_v3",
		"zone":                 "",
	}
	network := map[string]any{
		"interface": []any{map[string]any{
			"ipv4": map[string]any{
				"ipAddress": []any{map[string]any{"privateIpAddress": "10.0.0.4", "publicIpAddress": ""}},
				"subnet":    []any{map[string]any{"address": "10.0.0.0", "prefix": "24"}},
			},
			"ipv6":       map[string]any{"ipAddress": []any{}},
			"macAddress": "000D3A000001",
		}},
	}
	return map[string]any{"compute": compute, "network": network}
}

// Instance serves /metadata/instance and its sub-paths: the segments
// below /metadata/instance walk the document; a leaf needs format=text.
func (s *Service) Instance(w http.ResponseWriter, r *http.Request) {
	sub := strings.TrimPrefix(httpx.CleanPath(r.URL.Path), "/metadata/instance")
	q, ok := metadataQuery(w, r)
	if !ok {
		return
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "text" {
		httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "Bad request. format must be json or text"})
		return
	}
	var node any = instanceDocument(s.config())
	for _, seg := range strings.Split(strings.Trim(sub, "/"), "/") {
		if seg == "" {
			continue
		}
		switch n := node.(type) {
		case map[string]any:
			v, ok := n[seg]
			if !ok {
				httpx.WriteJSON(w, http.StatusNotFound, map[string]string{"error": "Not found"})
				return
			}
			node = v
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n) {
				httpx.WriteJSON(w, http.StatusNotFound, map[string]string{"error": "Not found"})
				return
			}
			node = n[i]
		default:
			httpx.WriteJSON(w, http.StatusNotFound, map[string]string{"error": "Not found"})
			return
		}
	}
	if leaf, ok := node.(string); ok {
		if format != "text" {
			// Exact wording unverified (protocols.md §4: 400 for a leaf without format=text).
			httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "Bad request. Leaf nodes must specify the format=text query parameter"})
			return
		}
		httpx.WriteText(w, leaf)
		return
	}
	if format == "text" {
		// Text format of an inner node lists its children, inner ones with a
		// trailing slash (behaviour of real IMDS as commonly reported; unverified).
		httpx.WriteText(w, strings.Join(childNames(node), "\n"))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, node)
}

func childNames(node any) []string {
	var out []string
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			if _, leaf := v.(string); leaf {
				out = append(out, k)
			} else {
				out = append(out, k+"/")
			}
		}
		sort.Strings(out)
	case []any:
		for i := range n {
			out = append(out, strconv.Itoa(i)+"/")
		}
	}
	return out
}
