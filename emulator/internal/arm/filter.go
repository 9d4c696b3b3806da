package arm

import (
	"fmt"
	"strings"
)

// tagFilter is a parsed resource-group $filter. ARM supports
// "tagName eq 'k'" and "tagName eq 'k' and tagValue eq 'v'" on this list.
type tagFilter struct {
	name     string
	value    string
	hasValue bool
}

// parseTagFilter parses the two supported $filter forms. Keywords are
// case-insensitive; string literals use OData quoting (” is a quote).
func parseTagFilter(s string) (*tagFilter, error) {
	const usage = "supported filters are \"tagName eq 'name'\" and \"tagName eq 'name' and tagValue eq 'value'\""
	p := &filterLexer{s: s}
	f := &tagFilter{}
	var err error
	if f.name, err = p.clause("tagName"); err != nil {
		return nil, fmt.Errorf("invalid $filter %q: %v; %s", s, err, usage)
	}
	p.space()
	if !p.done() {
		if !p.keyword("and") {
			return nil, fmt.Errorf("invalid $filter %q: expected 'and' at offset %d; %s", s, p.i, usage)
		}
		if f.value, err = p.clause("tagValue"); err != nil {
			return nil, fmt.Errorf("invalid $filter %q: %v; %s", s, err, usage)
		}
		f.hasValue = true
		p.space()
		if !p.done() {
			return nil, fmt.Errorf("invalid $filter %q: unexpected text at offset %d; %s", s, p.i, usage)
		}
	}
	return f, nil
}

// match: tag names compare case-insensitively (ARM tag names are
// case-insensitive); values exactly (unverified).
func (f *tagFilter) match(tags map[string]string) bool {
	for k, v := range tags {
		if strings.EqualFold(k, f.name) && (!f.hasValue || v == f.value) {
			return true
		}
	}
	return false
}

type filterLexer struct {
	s string
	i int
}

func (p *filterLexer) done() bool { return p.i >= len(p.s) }

func (p *filterLexer) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *filterLexer) keyword(kw string) bool {
	p.space()
	end := p.i + len(kw)
	if end > len(p.s) || !strings.EqualFold(p.s[p.i:end], kw) {
		return false
	}
	if end < len(p.s) && p.s[end] != ' ' && p.s[end] != '\t' && p.s[end] != '\'' {
		return false
	}
	p.i = end
	return true
}

// clause parses "<field> eq '<literal>'".
func (p *filterLexer) clause(field string) (string, error) {
	if !p.keyword(field) {
		return "", fmt.Errorf("expected %s at offset %d", field, p.i)
	}
	if !p.keyword("eq") {
		return "", fmt.Errorf("expected 'eq' at offset %d", p.i)
	}
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
