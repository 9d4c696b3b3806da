package identity

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Instance is what IMDS instance metadata says about this VM (protocols.md §4).
type Instance struct {
	SubscriptionID    string
	ResourceGroupName string
	Name              string
	Location          string
	VMID              string
	ResourceID        string
	AzEnvironment     string // e.g. "AzurePublicCloud"; compare case-insensitively
	Tags              map[string]string
}

// Instance reads GET {endpoint}/metadata/instance/compute?api-version=2021-02-01
// on ctx, with the same endpoint, fail-fast and retry rules as tokens. Off
// a VM (or on a host without instance metadata) the error matches
// ErrUnavailable.
func (c *Credential) Instance(ctx context.Context) (Instance, error) {
	if c.closed.Load() {
		return Instance{}, errClosed
	}
	is, ok := c.src.(instanceSource)
	if !ok {
		return Instance{}, fmt.Errorf("%w: %s has no instance metadata", ErrUnavailable, c.src.info().Name)
	}
	ex, err := c.send(ctx, is.instanceRequest, c.src.retryPolicy())
	if err != nil {
		return Instance{}, err
	}
	name := c.src.info().Name
	if looksForeign(ex) {
		return Instance{}, unavailableError(name, c.endpoint(), "%s", describeForeign(ex, "instance metadata"))
	}
	if ex.status != http.StatusOK {
		var w struct {
			Error json.RawMessage `json:"error"`
		}
		msg := ""
		if json.Unmarshal(ex.body, &w) == nil {
			s, _, _ := rawString(w.Error)
			msg = ": " + sanitize(s, 200)
		}
		return Instance{}, fmt.Errorf("identity: %s instance metadata at %s answered %d%s", name, c.endpoint(), ex.status, msg)
	}
	return parseInstance(ex.body)
}

// wireInstance: IMDS types every primitive as a string (protocols.md §4).
type wireInstance struct {
	SubscriptionID    string `json:"subscriptionId"`
	ResourceGroupName string `json:"resourceGroupName"`
	Name              string `json:"name"`
	Location          string `json:"location"`
	VMID              string `json:"vmId"`
	ResourceID        string `json:"resourceId"`
	AzEnvironment     string `json:"azEnvironment"`
	Tags              string `json:"tags"`
	TagsList          []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"tagsList"`
}

// parseInstance decodes a compute document. Tags come from tagsList when
// present (unambiguous), else from "k:v;k2:v2".
func parseInstance(body []byte) (Instance, error) {
	var w wireInstance
	if err := json.Unmarshal(body, &w); err != nil {
		return Instance{}, fmt.Errorf("identity: instance metadata is not the expected JSON: %s", jsonErrorText(err))
	}
	in := Instance{
		SubscriptionID: w.SubscriptionID, ResourceGroupName: w.ResourceGroupName, Name: w.Name,
		Location: w.Location, VMID: w.VMID, ResourceID: w.ResourceID, AzEnvironment: w.AzEnvironment,
		Tags: map[string]string{},
	}
	if w.TagsList != nil {
		for _, t := range w.TagsList {
			in.Tags[t.Name] = t.Value
		}
	} else {
		in.Tags = parseTagString(w.Tags)
	}
	return in, nil
}

// parseTagString splits "k:v;k2:v2" at ';' and each pair at its first ':'.
// The format is ambiguous when names or values contain those characters,
// which is why tagsList is preferred.
func parseTagString(s string) map[string]string {
	tags := map[string]string{}
	for _, kv := range strings.Split(s, ";") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, ":")
		tags[k] = v
	}
	return tags
}
