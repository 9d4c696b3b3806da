package resources

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/armwire"
)

// skipToken is the continuation in a nextLink. Paging is by key set: After
// is the last (lower-case) id returned, so resources created or deleted
// between pages never make a later one skipped or repeated. Scope ties the
// token to the collection and $filter it came from.
type skipToken struct {
	V     int    `json:"v"`
	Scope string `json:"s"`
	After string `json:"a"`
}

const maxSkipToken = 8192

func (t skipToken) encode() string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

var errBadSkipToken = errors.New("the $skiptoken is not one this emulator issued for this list; restart listing from the first page")

// parseSkipToken tolerates padding and the standard base64 alphabet:
// some clients re-encode query values.
func parseSkipToken(s, scope string) (skipToken, error) {
	if len(s) == 0 || len(s) > maxSkipToken {
		return skipToken{}, errBadSkipToken
	}
	s = strings.NewReplacer("+", "-", "/", "_").Replace(strings.TrimRight(s, "="))
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return skipToken{}, errBadSkipToken
	}
	var t skipToken
	if json.Unmarshal(b, &t) != nil || t.V != 1 || t.Scope != scope {
		return skipToken{}, errBadSkipToken
	}
	return t, nil
}

// listQuery is the parsed query of a list request.
type listQuery struct {
	filter *Filter
	form   listForm
	limit  int
	after  string
	extra  url.Values // $filter, $top, $expand as sent, for nextLink
}

// maxTop caps $top (ARM's list pages hold at most 1000; unverified).
const maxTop = 1000

// queryParam finds a $-parameter whatever its case and whether the '$'
// came encoded (%24): clients differ (protocols §18).
func queryParam(q url.Values, name string) (string, bool) {
	for k, v := range q {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}

// parseListQuery reads $filter (when filterable), $expand, $top and
// $skiptoken. $top is the page size (§20.4).
func (s *Service) parseListQuery(r *http.Request, scope string, filterable bool) (*listQuery, *apiError) {
	q := r.URL.Query()
	lq := &listQuery{limit: s.o.PageSize, extra: url.Values{}}
	if fs, ok := queryParam(q, "$filter"); ok && fs != "" {
		if !filterable {
			return nil, &apiError{status: http.StatusBadRequest, code: "InvalidFilterInQueryString", message: "This list does not support $filter."}
		}
		f, e := parseFilter(fs)
		if e != nil {
			return nil, e
		}
		lq.filter = f
		lq.form.noTags = f.tags
		lq.extra.Set("$filter", fs)
	}
	if es, ok := queryParam(q, "$expand"); ok && es != "" {
		if !filterable {
			return nil, &apiError{status: http.StatusBadRequest, code: "InvalidExpandQueryString", message: "This list does not support $expand."}
		}
		for _, part := range strings.Split(es, ",") {
			switch strings.ToLower(strings.TrimSpace(part)) {
			case "createdtime":
				lq.form.created = true
			case "changedtime":
				lq.form.changed = true
			case "provisioningstate":
				lq.form.state = true
			default:
				// Code unverified.
				return nil, &apiError{status: http.StatusBadRequest, code: "InvalidExpandQueryString", message: fmt.Sprintf(
					"The $expand '%s' is invalid; supported are createdTime, changedTime and provisioningState, comma-separated.", clip(es))}
			}
		}
		lq.extra.Set("$expand", es)
	}
	if ts, ok := queryParam(q, "$top"); ok && ts != "" {
		n, err := strconv.Atoi(ts)
		if err != nil || n < 1 {
			return nil, &apiError{status: http.StatusBadRequest, code: "InvalidTopInQueryString", message: fmt.Sprintf(
				"The value '%s' of $top is invalid; it must be a positive integer.", clip(ts))}
		}
		lq.limit = min(n, maxTop)
		lq.extra.Set("$top", ts)
	}
	if raw, ok := queryParam(q, "$skiptoken"); ok {
		t, err := parseSkipToken(raw, scope+"|"+lq.extra.Get("$filter"))
		if err != nil {
			return nil, &apiError{status: http.StatusBadRequest, code: "InvalidSkipToken", message: err.Error()}
		}
		lq.after = t.After
	}
	return lq, nil
}

// pageWriter assembles {"value":[…],"nextLink":…} in a pooled buffer.
type pageWriter struct {
	buf  *[]byte
	b    []byte
	n    int
	last string
}

func newPage() *pageWriter {
	p := &pageWriter{buf: getBuf()}
	p.b = append((*p.buf)[:0], `{"value":[`...)
	return p
}

func (p *pageWriter) item(key string, enc func([]byte) []byte) {
	if p.n > 0 {
		p.b = append(p.b, ',')
	}
	p.b = enc(p.b)
	p.n++
	p.last = key
}

func (p *pageWriter) finish(next string) reply {
	p.b = append(p.b, ']')
	if next != "" {
		p.b = append(p.b, `,"nextLink":`...)
		p.b = armwire.AppendString(p.b, next)
	}
	p.b = append(p.b, '}')
	return reply{status: http.StatusOK, body: p.b, pooled: p.buf}
}

func nextLink(r *http.Request, api, scope string, lq *listQuery, after string) string {
	v := url.Values{}
	for k, vs := range lq.extra {
		v[k] = vs
	}
	v.Set("api-version", api)
	v.Set("$skiptoken", skipToken{V: 1, Scope: scope + "|" + lq.extra.Get("$filter"), After: after}.encode())
	return baseURL(r) + r.URL.EscapedPath() + "?" + v.Encode()
}

// listResources serves /subscriptions/{s}[/resourceGroups/{rg}]/resources:
// tracked resources the caller may read, in id order.
func (s *Service) listResources(req *request) {
	if !s.subscription(req) {
		return
	}
	prefix := strings.ToLower("/subscriptions/"+req.sub.ID) + "/"
	if rg := req.route.ResourceGroup; rg != "" {
		if _, ok := s.o.Scopes.Group(req.sub.ID, rg); !ok {
			writeError(req.w, &apiError{status: http.StatusNotFound, code: "ResourceGroupNotFound", message: fmt.Sprintf(
				"Resource group '%s' could not be found.", clip(rg))})
			return
		}
		prefix += "resourcegroups/" + strings.ToLower(rg) + "/"
	}
	scope := "resources:" + prefix
	lq, e := s.parseListQuery(req.r, scope, true)
	if e != nil {
		writeError(req.w, e)
		return
	}
	ext := s.external(req.sub.ID, prefix)
	s.read(req.w, func() reply {
		set := &s.store.listed
		if lq.filter != nil && lq.filter.resourceType != "" {
			set = s.store.byType[strings.ToLower(req.sub.ID)+"|"+strings.ToLower(lq.filter.resourceType)]
			if set == nil {
				set = &orderedSet{}
			}
		}
		return s.page(req, set, ext, prefix, scope, lq, func(k string, rec *Record) bool {
			return rec.Listed && (lq.filter == nil || lq.filter.root.match(rec))
		}, true)
	})
}

// external is Options.External's records under prefix, sorted by key,
// listed and with their list form, ready to merge into a page.
func (s *Service) external(sub, prefix string) []*entry {
	if s.o.External == nil {
		return nil
	}
	var out []*entry
	for _, r := range s.o.External(sub) {
		if r == nil || !strings.HasPrefix(r.Key(), prefix) {
			continue
		}
		c := r.clone()
		c.Listed = true
		if c.State == "" {
			c.State = "Succeeded"
		}
		out = append(out, &entry{rec: c, list: c.appendList(nil, listForm{})})
	}
	slices.SortFunc(out, func(a, b *entry) int { return strings.Compare(a.rec.Key(), b.rec.Key()) })
	return out
}

// page walks set from the continuation, keeping keys under prefix that
// keep() accepts and the caller may read, up to the page size.
func (s *Service) page(req *request, set *orderedSet, ext []*entry, prefix, scope string, lq *listQuery, keep func(string, *Record) bool, listForm bool) reply {
	allowed := func(action, scope string) bool { return s.o.Authz.Allowed(req.who.ObjectID, action, scope) }
	if pa, ok := s.o.Authz.(PrincipalAuthorizer); ok {
		allowed = pa.For(req.who.ObjectID)
	}
	p := newPage()
	more := false
	lastType, readAction := "", ""
	after := prefix
	if lq.after > prefix {
		after = lq.after
	}
	// emit adds one candidate; false stops the walk (page full).
	emit := func(k string, e *entry) bool {
		if e == nil || !keep(k, e.rec) {
			return true
		}
		if e.rec.Type != lastType { // pages are mostly of one type
			lastType, readAction = e.rec.Type, e.rec.Type+"/read"
		}
		// k is the lower-case id: authorization compares scopes without
		// regard to case, and an already lower-case scope costs no copy.
		if !allowed(readAction, k) {
			return true
		}
		if p.n == lq.limit {
			more = true
			return false
		}
		switch {
		case !listForm:
			p.item(k, e.rec.appendFull)
		case lq.form.plain() && e.list != nil:
			p.item(k, func(b []byte) []byte { return append(b, e.list...) })
		default:
			p.item(k, func(b []byte) []byte { return e.rec.appendList(b, lq.form) })
		}
		return true
	}
	// External records merge in by key (a handful: the walk below stays
	// the store's).
	for len(ext) > 0 && ext[0].rec.Key() <= after {
		ext = ext[1:]
	}
	stopped := false
	set.ascend(after, func(k string) bool {
		if !strings.HasPrefix(k, prefix) {
			return false
		}
		for len(ext) > 0 && ext[0].rec.Key() < k {
			e := ext[0]
			ext = ext[1:]
			if !emit(e.rec.Key(), e) {
				stopped = true
				return false
			}
		}
		if !emit(k, s.store.entries[k]) {
			stopped = true
			return false
		}
		return true
	})
	for !stopped && len(ext) > 0 {
		e := ext[0]
		ext = ext[1:]
		stopped = !emit(e.rec.Key(), e)
	}
	next := ""
	if more {
		next = nextLink(req.r, req.api.Version, scope, lq, p.last)
	}
	return p.finish(next)
}

// listCollection serves GET of a collection: a type's resources under a
// group (…/providers/{ns}/{type}), in the whole subscription
// (/subscriptions/{s}/providers/{ns}/{type}), a parent's children or a
// resource's extension resources. Items are full resources, as RPs list
// them.
func (s *Service) listCollection(req *request) {
	if !s.checkScope(req, "read", false) {
		return
	}
	id := req.route.ID
	collKey := id.Key() + "/"
	scope := "collection:" + collKey
	lq, e := s.parseListQuery(req.r, scope, false)
	if e != nil {
		writeError(req.w, e)
		return
	}
	subLevel := id.ResourceGroup == "" && !id.IsExtension() && len(id.Types) == 1
	s.read(req.w, func() reply {
		if p := collectionParent(id); p != nil && !s.exists(p) {
			return errReply(missingParent(id, p))
		}
		if subLevel {
			// The RP's list-by-subscription: every resource of the type in
			// the subscription, whatever its group.
			set := s.store.byType[strings.ToLower(id.SubscriptionID)+"|"+strings.ToLower(id.FullType())]
			if set == nil {
				set = &orderedSet{}
			}
			return s.page(req, set, nil, strings.ToLower("/subscriptions/"+id.SubscriptionID)+"/", scope, lq,
				func(string, *Record) bool { return true }, false)
		}
		return s.page(req, &s.store.all, nil, collKey, scope, lq, func(k string, _ *Record) bool {
			return !strings.Contains(k[len(collKey):], "/") // direct members only
		}, false)
	})
}

// collectionParent is the resource a collection of children or extensions
// hangs off (nil for a type's collection under a group or subscription).
func collectionParent(id *ID) *ID {
	if len(id.Types) > 1 {
		p := *id
		p.Types = id.Types[:len(id.Types)-1]
		p.Names = id.Names[:len(id.Types)-1]
		return &p
	}
	return id.Scope
}
