package cli

import "strings"

// multiselectKeys returns the keys of the multiselect hash that shapes a
// query's rows — the last {key: expr, ...} outside any other hash, as in
// "[].{name:name, loc:location}" — in the order the query names them, or
// nil. The Azure CLI keeps that order in table and tsv output (its JMESPath
// builds ordered dicts); go-jmespath returns a Go map, so the order is read
// from the query text. A query the scan misreads only loses the order:
// keys not found here are printed after, sorted.
func multiselectKeys(q string) []string {
	var last, cur []string
	depth := 0         // braces open
	nest := 0          // brackets and parentheses open inside the outer hash
	expectKey := false // at depth 1 right after '{' or ','
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch c {
		case '\'', '`', '"':
			end := closingQuote(q, i)
			if expectKey && c == '"' {
				if k, ok := unquoteIdentifier(q[i : end+1]); ok {
					cur = append(cur, k)
				}
			}
			expectKey = false
			i = end
			continue
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			depth++
			if depth == 1 {
				cur, nest, expectKey = nil, 0, true
				continue
			}
		case '}':
			if depth == 1 && cur != nil {
				last = cur
			}
			depth = max(depth-1, 0)
		case '[', '(':
			if depth == 1 {
				nest++
			}
		case ']', ')':
			if depth == 1 {
				nest = max(nest-1, 0)
			}
		case ',':
			if depth == 1 && nest == 0 {
				expectKey = true
				continue
			}
		}
		if expectKey {
			expectKey = false
			if isIdentStart(c) {
				j := i + 1
				for j < len(q) && isIdentPart(q[j]) {
					j++
				}
				cur = append(cur, q[i:j])
				i = j - 1
			}
		}
	}
	return last
}

// closingQuote returns the index of the quote closing the one at q[i]
// (backslash escapes skipped), or the last index when it is unclosed.
func closingQuote(q string, i int) int {
	for j := i + 1; j < len(q); j++ {
		switch q[j] {
		case '\\':
			j++
		case q[i]:
			return j
		}
	}
	return len(q) - 1
}

// unquoteIdentifier reads a JMESPath quoted identifier ("a b"), handling
// the common escapes \" and \\.
func unquoteIdentifier(s string) (string, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", false
	}
	r := strings.NewReplacer(`\"`, `"`, `\\`, `\`, `\/`, `/`)
	return r.Replace(s[1 : len(s)-1]), true
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdentPart(c byte) bool  { return isIdentStart(c) || c >= '0' && c <= '9' }
