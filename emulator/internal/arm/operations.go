package arm

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/httpx"
	"github.com/azmsi/azmsi/emulator/internal/store"
)

// Resource-group deletion is a long-running operation (protocols §12.5,
// §20.5): DELETE answers 202 with a Location to poll and an
// Azure-AsyncOperation status URL; the group stays "Deleting" for
// Options.DeleteDuration, then disappears with every resource it holds.
// The deadline is stored with the group, so a restarted emulator finishes
// the delete. (Recordings of ARM show Location only for this operation;
// the status URL is offered as well so that clients preferring it work.)

// deleteJob is the operation id inside the Location URL. JobID and
// JobLocation match what ARM encodes (decoded from recordings); Sub and
// Group are ours, so a poll can find the group again. Clients treat the
// whole thing as opaque.
type deleteJob struct {
	JobID       string `json:"jobId"`
	JobLocation string `json:"jobLocation"`
	Sub         string `json:"sub"`
	Group       string `json:"rg"`
	Start       int64  `json:"start,omitempty"` // unix seconds the delete began
}

func (j deleteJob) encode() string {
	b, _ := json.Marshal(j)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseDeleteJob(s string) (deleteJob, bool) {
	if len(s) == 0 || len(s) > 4096 {
		return deleteJob{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return deleteJob{}, false
	}
	var j deleteJob
	if json.Unmarshal(b, &j) != nil || j.Sub == "" || j.Group == "" {
		return deleteJob{}, false
	}
	return j, true
}

// pollRetryAfter is the Retry-After (seconds) sent while a delete runs;
// kept small because the emulated delete is short.
const pollRetryAfter = "1"

func operationLocation(req *Request, sub string, j deleteJob) string {
	return baseURL(req.r) + "/subscriptions/" + url.PathEscape(sub) + "/operationresults/" + j.encode() +
		"?api-version=" + url.QueryEscape(req.api)
}

// DeleteGroup starts a group's long-running delete.
func (a *Service) DeleteGroup(req *Request) {
	sub := groupSubscription(req)
	if sub == nil {
		return
	}
	if !a.authorize(req, actionGroupDelete, groupScope(sub, req.group())) {
		return
	}
	if !writable(req, sub) {
		return
	}
	old := a.groups[store.Key(sub.SubscriptionID, req.group())]
	if old == nil {
		// 404 for a missing group is unverified (§16 item 10).
		groupNotFound(req)
		return
	}
	g := old.Clone()
	if !g.Deleting() {
		// A repeated DELETE reports the running operation, not a new one.
		g.DeleteAt = a.now().Add(a.deleteDuration)
		if err := a.putLocked(g); err != nil {
			a.internalError(req, err)
			return
		}
	}
	j := deleteJob{
		JobID:       "RESOURCEGROUPDELETIONJOB-" + strings.ToUpper(g.Name) + "-" + strings.ToUpper(g.Location),
		JobLocation: g.Location,
		Sub:         sub.SubscriptionID,
		Group:       g.Name,
		Start:       g.DeleteAt.Add(-a.deleteDuration).Unix(),
	}
	req.header().Set("Location", operationLocation(req, req.sub(), j))
	req.header().Set("Azure-AsyncOperation", baseURL(req.r)+"/subscriptions/"+url.PathEscape(req.sub())+"/operationstatuses/"+j.encode()+
		"?api-version="+url.QueryEscape(req.api))
	req.header().Set("Retry-After", pollRetryAfter)
	req.empty(http.StatusAccepted)
}

// operationStatus is ARM's operation-status body (protocols-2026 §20.3).
type operationStatus struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	StartTime string `json:"startTime,omitempty"`
}

// GetOperationStatus answers the Azure-AsyncOperation URL of a group
// delete: always 200, status InProgress (with Retry-After, or the SDKs'
// pollers wait their default 30 s) while the group is Deleting, then
// Succeeded.
func (a *Service) GetOperationStatus(req *Request) {
	j, ok := a.operationJob(req)
	if !ok {
		return
	}
	st := operationStatus{ID: req.r.URL.Path, Name: j.JobID, Status: "Succeeded"}
	if j.Start > 0 {
		st.StartTime = time.Unix(j.Start, 0).UTC().Format(time.RFC3339)
	}
	if g := a.groups[store.Key(j.Sub, j.Group)]; g != nil && g.Deleting() {
		st.Status = "InProgress"
		req.header().Set("Retry-After", pollRetryAfter)
	}
	req.json(http.StatusOK, st)
}

// operationJob parses and authorizes the operation of a polling URL; on
// failure it has answered.
func (a *Service) operationJob(req *Request) (deleteJob, bool) {
	if !checkSubscriptionID(req) {
		return deleteJob{}, false
	}
	j, ok := parseDeleteJob(req.op())
	if !ok || !strings.EqualFold(j.Sub, req.sub()) {
		req.fail(http.StatusNotFound, "OperationNotFound", fmt.Sprintf(
			"The operation result '%s' could not be found. Poll the exact Location URL returned by the DELETE request.", httpx.Clip(req.op())))
		return deleteJob{}, false
	}
	// The operation's state is the group's: polling it needs read access
	// to that group, as reading the group would.
	if !a.authorize(req, actionGroupRead, "/subscriptions/"+j.Sub+"/resourcegroups/"+j.Group) {
		return deleteJob{}, false
	}
	return j, true
}

// GetOperation: 202 (same Location, Retry-After) while the group is still
// Deleting, then 200 with an empty body; 403 for a caller who may not read
// the group.
func (a *Service) GetOperation(req *Request) {
	j, ok := a.operationJob(req)
	if !ok {
		return
	}
	if g := a.groups[store.Key(j.Sub, j.Group)]; g != nil && g.Deleting() {
		req.header().Set("Location", operationLocation(req, req.sub(), j))
		req.header().Set("Retry-After", pollRetryAfter)
		req.empty(http.StatusAccepted)
		return
	}
	req.empty(http.StatusOK)
}
