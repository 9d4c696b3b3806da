package resources

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Asynchronous operations (protocols-2026 §20.3). A PUT or DELETE of a type
// marked asynchronous answers 201/200 or 202 with Azure-AsyncOperation and
// Location; the resource stays Accepted or Deleting until the operation's
// end time, then becomes Succeeded or goes. The polling URLs carry the
// whole operation (resource id, kind, start and end), so they stay valid
// across restarts and the emulator keeps no table of operations.

// opToken is the operation id inside the polling URLs.
type opToken struct {
	V     int    `json:"v"`
	ID    string `json:"r"` // resource id
	Op    string `json:"o"`
	Name  string `json:"n"` // operation name (a GUID)
	Start int64  `json:"s"` // unix nanoseconds
	Until int64  `json:"u"`
}

const maxOpToken = 4096

func (t opToken) encode() string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseOpToken(s string) (opToken, bool) {
	if len(s) == 0 || len(s) > maxOpToken {
		return opToken{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return opToken{}, false
	}
	var t opToken
	if json.Unmarshal(b, &t) != nil || t.V != 1 || (t.Op != opPut && t.Op != opDelete) || t.ID == "" || t.Until < t.Start {
		return opToken{}, false
	}
	return t, true
}

// pollRetryAfter is short because emulated operations are.
const pollRetryAfter = "1"

// asyncHeaders sets Azure-AsyncOperation, Location and Retry-After for the
// record's running operation.
func (s *Service) asyncHeaders(req *request, rec *Record) {
	p := rec.Pending
	tok := opToken{V: 1, ID: rec.ID, Op: p.Op, Name: p.ID, Start: p.Start.UnixNano(), Until: p.Until.UnixNano()}.encode()
	loc := rec.Location
	if loc == "" {
		loc = "global"
	}
	ns, _, _ := strings.Cut(rec.Type, "/")
	base := baseURL(req.r) + "/subscriptions/" + url.PathEscape(req.sub.ID) + "/providers/" + ns + "/locations/" + url.PathEscape(loc)
	q := "?api-version=" + url.QueryEscape(req.api.Version)
	h := req.w.Header()
	h.Set("Azure-AsyncOperation", base+"/operationStatuses/"+tok+q)
	h.Set("Location", base+"/operationResults/"+tok+q)
	h.Set("Retry-After", pollRetryAfter)
}

// operationStatus is ARM's operation-status body.
type operationStatus struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	StartTime string `json:"startTime"`
	EndTime   string `json:"endTime,omitempty"`
}

// operation answers both polling URLs: operationStatuses always 200 with
// the status body; operationResults 202 while running, then the outcome.
func (s *Service) operation(req *request) {
	if !s.subscription(req) {
		return
	}
	tok, ok := parseOpToken(req.route.Operation)
	var id *ID
	if ok {
		r, err := Classify(http.MethodGet, (&url.URL{Path: tok.ID}).EscapedPath())
		ok = err == nil && r.Kind == KindResource && strings.EqualFold(r.SubscriptionID, req.sub.ID)
		id = r.ID
	}
	if !ok {
		writeError(req.w, &apiError{status: http.StatusNotFound, code: "OperationNotFound", message: fmt.Sprintf(
			"The operation '%s' could not be found. Poll the exact URL the operation returned.", clip(req.route.Operation))})
		return
	}
	action := id.FullType() + "/read"
	if !s.o.Authz.Allowed(req.who.ObjectID, action, id.String()) {
		writeError(req.w, forbidden(req.who, action, id.String()))
		return
	}
	start, until := time.Unix(0, tok.Start).UTC(), time.Unix(0, tok.Until).UTC()
	done := !s.now().Before(until)
	if req.route.Kind == KindOperationStatus {
		st := operationStatus{ID: req.r.URL.Path, Name: tok.Name, Status: "InProgress", StartTime: start.Format(time.RFC3339Nano)}
		if done {
			st.Status, st.EndTime = "Succeeded", until.Format(time.RFC3339Nano)
		} else {
			// Pollers wait Retry-After between polls, else their default (30 s
			// in azure-core and the Azure CLI).
			req.w.Header().Set("Retry-After", pollRetryAfter)
		}
		writeJSON(req.w, http.StatusOK, marshal(st))
		return
	}
	if !done {
		req.w.Header().Set("Location", baseURL(req.r)+req.r.URL.RequestURI())
		req.w.Header().Set("Retry-After", pollRetryAfter)
		writeEmpty(req.w, http.StatusAccepted)
		return
	}
	if tok.Op == opDelete {
		writeEmpty(req.w, http.StatusOK)
		return
	}
	s.read(req.w, func() reply {
		rec := s.store.getLocked(id.Key())
		if rec == nil {
			return errReply(notFound(id))
		}
		return jsonReply(http.StatusOK, rec.appendFull(nil))
	})
}
