package resources

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// The $filter of the /resources listings (protocols-2026 §20.4):
//
//	expr       = and-expr *( "or" and-expr )
//	and-expr   = unary *( "and" unary )
//	unary      = "(" expr ")" / comparison / substringof / startswith
//	comparison = property ( "eq" / "ne" ) literal
//	substringof= "substringof(" literal "," ( "name" / "resourceGroup" ) ")"
//	startswith = "startswith(" "tagName" "," literal ")"
//	literal    = "'" *( char / "''" ) "'"
//
// Tag filters ("tagName eq 'n'", "tagName eq 'n' and tagValue eq 'v'",
// "startswith(tagName, 'p')") stand alone, and then the results carry no
// tags. Keywords and property names are case-insensitive; values compare
// case-insensitively except tag values (unverified, U20-2). ARM refuses some
// combinations of the other properties that the emulator accepts.

// Filter is a parsed $filter.
type Filter struct {
	root filterNode
	// tags: a tag filter, so results omit tags.
	tags bool
	// resourceType is set when every match must have this type (the
	// filter is, or is and-ed with, "resourceType eq 'X'"); listing then
	// walks that type's index instead of every resource.
	resourceType string
}

const (
	maxFilterLen   = 4096
	maxFilterNodes = 64
	maxFilterDepth = 16
)

var filterProps = map[string]string{} // lower → canonical

func init() {
	for _, p := range []string{"location", "resourceType", "name", "resourceGroup", "identity", "identity/principalId",
		"plan", "plan/publisher", "plan/product", "plan/name", "plan/version", "plan/promotionCode", "tagName", "tagValue"} {
		filterProps[strings.ToLower(p)] = p
	}
}

const filterUsage = "supported are \"<property> eq|ne '<value>'\" for location, resourceType, name, resourceGroup, identity, identity/principalId and plan[/publisher|product|name|version|promotionCode], joined by and/or; substringof('<value>', name|resourceGroup); and, alone, \"tagName eq '<name>' [and tagValue eq '<value>']\" or startswith(tagName, '<prefix>')"

// filterError is the 400 for a bad $filter (code seen in the wild,
// unverified, U20-2).
func filterError(s, what string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "InvalidFilterInQueryString", message: fmt.Sprintf(
		"The $filter '%s' is invalid: %s; %s.", clip(s), what, filterUsage)}
}

func parseFilter(s string) (*Filter, *apiError) {
	if len(s) > maxFilterLen {
		return nil, filterError(s, "it is longer than 4096 characters")
	}
	p := &filterParser{s: s}
	root, err := p.expr(0)
	if err == nil {
		p.space()
		if !p.done() {
			err = fmt.Errorf("unexpected text at offset %d", p.i)
		}
	}
	if err != nil {
		return nil, filterError(s, err.Error())
	}
	f := &Filter{root: root}
	if hasTag(root) {
		if !tagOnly(root) {
			return nil, filterError(s, "tag filters cannot be combined with other conditions")
		}
		f.tags = true
	}
	f.resourceType = requiredType(root)
	return f, nil
}

type filterNode interface {
	match(r *Record) bool
}

type (
	orNode  []filterNode
	andNode []filterNode
	cmpNode struct {
		prop string // canonical
		ne   bool
		val  string
	}
	substringNode struct{ val, prop string }
	tagNode       struct {
		name   string
		value  *string // tagName eq 'n' and tagValue eq 'v'
		prefix bool    // startswith(tagName, 'n')
	}
)

func (n orNode) match(r *Record) bool {
	for _, c := range n {
		if c.match(r) {
			return true
		}
	}
	return false
}

func (n andNode) match(r *Record) bool {
	for _, c := range n {
		if !c.match(r) {
			return false
		}
	}
	return true
}

func (n cmpNode) match(r *Record) bool {
	eq := strings.EqualFold(property(r, n.prop), n.val)
	return eq != n.ne
}

func (n substringNode) match(r *Record) bool {
	return strings.Contains(strings.ToLower(property(r, n.prop)), strings.ToLower(n.val))
}

func (n tagNode) match(r *Record) bool {
	for k, v := range r.Tags {
		switch {
		case n.prefix:
			if len(k) >= len(n.name) && strings.EqualFold(k[:len(n.name)], n.name) {
				return true
			}
		case strings.EqualFold(k, n.name) && (n.value == nil || v == *n.value):
			return true
		}
	}
	return false
}

// property is the value of a filter property of r.
func property(r *Record, prop string) string {
	switch prop {
	case "location":
		return r.Location
	case "resourceType":
		return r.Type
	case "name":
		return r.Name()
	case "resourceGroup":
		return groupOf(r.ID)
	case "identity", "identity/principalId":
		var id struct {
			Type        string `json:"type"`
			PrincipalID string `json:"principalId"`
		}
		_ = json.Unmarshal(r.Identity, &id)
		if prop == "identity" {
			return id.Type
		}
		return id.PrincipalID
	}
	if field, ok := strings.CutPrefix(prop, "plan/"); ok || prop == "plan" {
		var plan map[string]any
		_ = json.Unmarshal(r.Plan, &plan)
		if !ok {
			field = "name" // "plan eq" compares the plan's name (unverified)
		}
		v, _ := plan[field].(string)
		return v
	}
	return ""
}

// groupOf is the resource group segment of an id ("" if none).
func groupOf(id string) string {
	parts := strings.SplitN(id, "/", 6)
	if len(parts) >= 5 && strings.EqualFold(parts[3], "resourceGroups") {
		return parts[4]
	}
	return ""
}

func hasTag(n filterNode) bool {
	switch n := n.(type) {
	case orNode:
		for _, c := range n {
			if hasTag(c) {
				return true
			}
		}
	case andNode:
		for _, c := range n {
			if hasTag(c) {
				return true
			}
		}
	case tagNode:
		return true
	}
	return false
}

func tagOnly(n filterNode) bool {
	_, ok := n.(tagNode)
	return ok
}

func requiredType(n filterNode) string {
	switch n := n.(type) {
	case cmpNode:
		if n.prop == "resourceType" && !n.ne {
			return n.val
		}
	case andNode:
		for _, c := range n {
			if t := requiredType(c); t != "" {
				return t
			}
		}
	}
	return ""
}

type filterParser struct {
	s     string
	i     int
	nodes int
}

func (p *filterParser) done() bool { return p.i >= len(p.s) }

func (p *filterParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// word reads an identifier (letters, digits, '/', '_').
func (p *filterParser) word() string {
	p.space()
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i] | 0x20
		if (c >= 'a' && c <= 'z') || (p.s[p.i] >= '0' && p.s[p.i] <= '9') || p.s[p.i] == '/' || p.s[p.i] == '_' {
			p.i++
			continue
		}
		break
	}
	return p.s[start:p.i]
}

// keyword consumes kw (case-insensitive) if it is next as a whole word.
func (p *filterParser) keyword(kw string) bool {
	save := p.i
	if strings.EqualFold(p.word(), kw) {
		return true
	}
	p.i = save
	return false
}

func (p *filterParser) punct(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *filterParser) literal() (string, error) {
	p.space()
	if p.done() || p.s[p.i] != '\'' {
		return "", fmt.Errorf("expected a quoted string at offset %d", p.i)
	}
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		if c == '\'' {
			if p.i < len(p.s) && p.s[p.i] == '\'' {
				b.WriteByte('\'')
				p.i++
				continue
			}
			return b.String(), nil
		}
		b.WriteByte(c)
	}
	return "", fmt.Errorf("unterminated string")
}

func (p *filterParser) count() error {
	if p.nodes++; p.nodes > maxFilterNodes {
		return fmt.Errorf("it has more than %d conditions", maxFilterNodes)
	}
	return nil
}

func (p *filterParser) expr(depth int) (filterNode, error) {
	if depth > maxFilterDepth {
		return nil, fmt.Errorf("parentheses nest deeper than %d", maxFilterDepth)
	}
	var or orNode
	for {
		n, err := p.andExpr(depth)
		if err != nil {
			return nil, err
		}
		or = append(or, n)
		if !p.keyword("or") {
			break
		}
	}
	if len(or) == 1 {
		return or[0], nil
	}
	return or, nil
}

func (p *filterParser) andExpr(depth int) (filterNode, error) {
	var and andNode
	for {
		n, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		// "tagName eq 'n' and tagValue eq 'v'" is one condition.
		if t, ok := n.(tagNode); ok && !t.prefix && t.value == nil {
			save := p.i
			if p.keyword("and") && p.keyword("tagValue") {
				if !p.keyword("eq") {
					return nil, fmt.Errorf("expected 'eq' after tagValue at offset %d", p.i)
				}
				v, err := p.literal()
				if err != nil {
					return nil, err
				}
				t.value = &v
				n = t
			} else {
				p.i = save
			}
		}
		and = append(and, n)
		if !p.keyword("and") {
			break
		}
	}
	if len(and) == 1 {
		return and[0], nil
	}
	return and, nil
}

func (p *filterParser) unary(depth int) (filterNode, error) {
	if err := p.count(); err != nil {
		return nil, err
	}
	if p.punct('(') {
		n, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if !p.punct(')') {
			return nil, fmt.Errorf("expected ')' at offset %d", p.i)
		}
		return n, nil
	}
	at := p.i
	w := p.word()
	switch strings.ToLower(w) {
	case "":
		return nil, fmt.Errorf("expected a condition at offset %d", at)
	case "substringof":
		if !p.punct('(') {
			return nil, fmt.Errorf("expected '(' after substringof at offset %d", p.i)
		}
		v, err := p.literal()
		if err != nil {
			return nil, err
		}
		if !p.punct(',') {
			return nil, fmt.Errorf("expected ',' at offset %d", p.i)
		}
		prop := filterProps[strings.ToLower(p.word())]
		if prop != "name" && prop != "resourceGroup" {
			return nil, fmt.Errorf("substringof applies to name or resourceGroup only")
		}
		if !p.punct(')') {
			return nil, fmt.Errorf("expected ')' at offset %d", p.i)
		}
		return substringNode{val: v, prop: prop}, nil
	case "startswith":
		if !p.punct('(') {
			return nil, fmt.Errorf("expected '(' after startswith at offset %d", p.i)
		}
		if !p.keyword("tagName") {
			return nil, fmt.Errorf("startswith applies to tagName only")
		}
		if !p.punct(',') {
			return nil, fmt.Errorf("expected ',' at offset %d", p.i)
		}
		v, err := p.literal()
		if err != nil {
			return nil, err
		}
		if !p.punct(')') {
			return nil, fmt.Errorf("expected ')' at offset %d", p.i)
		}
		return tagNode{name: v, prefix: true}, nil
	}
	prop, ok := filterProps[strings.ToLower(w)]
	if !ok {
		return nil, fmt.Errorf("'%s' is not a property that can be filtered on", clip(w))
	}
	ne := false
	switch {
	case p.keyword("eq"):
	case p.keyword("ne"):
		ne = true
	default:
		return nil, fmt.Errorf("expected 'eq' or 'ne' at offset %d", p.i)
	}
	v, err := p.literal()
	if err != nil {
		return nil, err
	}
	switch prop {
	case "tagName":
		if ne {
			return nil, fmt.Errorf("tagName supports 'eq' only")
		}
		return tagNode{name: v}, nil
	case "tagValue":
		return nil, fmt.Errorf("tagValue must follow \"tagName eq '<name>' and\"")
	}
	return cmpNode{prop: prop, ne: ne, val: v}, nil
}
