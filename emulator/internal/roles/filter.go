package roles

import (
	"fmt"
	"strings"
)

// filter is a parsed $filter of the role assignment and role definition
// lists: terms joined by "and".
//
//	atScope()                         assignments at the scope and above
//	assignedTo('{objectId}')          a principal's assignments
//	principalId eq '{objectId}'       the same (the emulator has no groups)
//	atScopeAndBelow()                 role definitions below the scope too
//	roleName eq '{name}'              a role by name
//	type eq 'BuiltInRole'|'CustomRole'
//
// Function names and keywords are matched case-insensitively; string
// literals are single-quoted with ” for a quote (OData).
type filter struct {
	atScope, atScopeAndBelow bool
	assignedTo, principalID  string
	roleName, roleType       string
}

// filter terms, for saying what a list accepts.
const (
	termAtScope         = "atScope()"
	termAssignedTo      = "assignedTo('{objectId}')"
	termPrincipalID     = "principalId eq '{objectId}'"
	termAtScopeAndBelow = "atScopeAndBelow()"
	termRoleName        = "roleName eq '{name}'"
	termType            = "type eq 'BuiltInRole'|'CustomRole'"
)

var (
	assignmentTerms = []string{termAtScope, termAssignedTo, termPrincipalID}
	definitionTerms = []string{termRoleName, termType, termAtScopeAndBelow}
)

// maxFilterLen bounds what is parsed.
const maxFilterLen = 1024

// parseFilter parses s, accepting only the terms in allowed.
func parseFilter(s string, allowed []string) (filter, error) {
	var f filter
	if len(s) > maxFilterLen {
		return f, fmt.Errorf("the $filter is %d characters long; at most %d are accepted", len(s), maxFilterLen)
	}
	p := filterLexer{src: s}
	if strings.TrimSpace(s) == "" {
		return f, nil
	}
	seen := map[string]bool{}
	for {
		term, err := p.term(&f)
		if err != nil {
			return filter{}, err
		}
		if !contains(allowed, term) {
			return filter{}, fmt.Errorf("the $filter term %s is not supported here; supported: %s", term, strings.Join(allowed, ", "))
		}
		if seen[term] {
			return filter{}, fmt.Errorf("the $filter names %s twice", term)
		}
		seen[term] = true
		p.skipSpace()
		if p.done() {
			break
		}
		if w := p.word(); !strings.EqualFold(w, "and") {
			return filter{}, fmt.Errorf("expected 'and' or the end of the $filter at offset %d, found %q", p.pos, w)
		}
	}
	if f.assignedTo != "" && f.principalID != "" && f.assignedTo != f.principalID {
		return filter{}, fmt.Errorf("the $filter names two different principals (%s and %s)", f.assignedTo, f.principalID)
	}
	return f, nil
}

type filterLexer struct {
	src string
	pos int
}

func (l *filterLexer) done() bool { return l.pos >= len(l.src) }

func (l *filterLexer) skipSpace() {
	for l.pos < len(l.src) && (l.src[l.pos] == ' ' || l.src[l.pos] == '\t') {
		l.pos++
	}
}

// word reads an identifier (letters only).
func (l *filterLexer) word() string {
	l.skipSpace()
	start := l.pos
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			l.pos++
			continue
		}
		break
	}
	return l.src[start:l.pos]
}

func (l *filterLexer) expect(c byte) error {
	l.skipSpace()
	if l.pos >= len(l.src) || l.src[l.pos] != c {
		found := "the end"
		if l.pos < len(l.src) {
			found = fmt.Sprintf("%q", l.src[l.pos])
		}
		return fmt.Errorf("expected %q at offset %d of the $filter, found %s", c, l.pos, found)
	}
	l.pos++
	return nil
}

// literal reads a single-quoted OData string.
func (l *filterLexer) literal() (string, error) {
	if err := l.expect('\''); err != nil {
		return "", err
	}
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		l.pos++
		if c != '\'' {
			b.WriteByte(c)
			continue
		}
		if l.pos < len(l.src) && l.src[l.pos] == '\'' {
			b.WriteByte('\'')
			l.pos++
			continue
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("the string starting in the $filter is not closed with a quote (')")
}

// term parses one term into f and returns its name (one of the term* constants).
func (l *filterLexer) term(f *filter) (string, error) {
	w := l.word()
	switch strings.ToLower(w) {
	case "atscope", "atscopeandbelow":
		if err := l.expect('('); err != nil {
			return "", err
		}
		if err := l.expect(')'); err != nil {
			return "", err
		}
		if strings.EqualFold(w, "atScope") {
			f.atScope = true
			return termAtScope, nil
		}
		f.atScopeAndBelow = true
		return termAtScopeAndBelow, nil
	case "assignedto":
		if err := l.expect('('); err != nil {
			return "", err
		}
		v, err := l.literal()
		if err != nil {
			return "", err
		}
		if err := l.expect(')'); err != nil {
			return "", err
		}
		g, ok := ParseGUID(v)
		if !ok {
			return "", fmt.Errorf("assignedTo('%s') needs an object id (a GUID)", v)
		}
		f.assignedTo = g
		return termAssignedTo, nil
	case "principalid", "rolename", "type":
		if op := l.word(); !strings.EqualFold(op, "eq") {
			return "", fmt.Errorf("only 'eq' is supported after %s in the $filter, found %q", w, op)
		}
		v, err := l.literal()
		if err != nil {
			return "", err
		}
		switch strings.ToLower(w) {
		case "principalid":
			g, ok := ParseGUID(v)
			if !ok {
				return "", fmt.Errorf("principalId eq '%s' needs an object id (a GUID)", v)
			}
			f.principalID = g
			return termPrincipalID, nil
		case "rolename":
			f.roleName = v
			return termRoleName, nil
		}
		switch {
		case strings.EqualFold(v, BuiltInRole):
			f.roleType = BuiltInRole
		case strings.EqualFold(v, CustomRole):
			f.roleType = CustomRole
		default:
			return "", fmt.Errorf("type eq '%s' is not a role type; use 'BuiltInRole' or 'CustomRole'", v)
		}
		return termType, nil
	case "":
		if l.done() {
			return "", fmt.Errorf("the $filter ends where a term was expected")
		}
		return "", fmt.Errorf("unexpected %q at offset %d of the $filter", l.src[l.pos], l.pos)
	}
	return "", fmt.Errorf("unknown $filter term %q", w)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
