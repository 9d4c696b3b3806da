package armwire

import "fmt"

// CheckDepth fails if arrays/objects in data nest deeper than max. It
// tracks strings so brackets inside them do not count; syntax is left to
// the decoder. It runs before json.Decoder so that a hostile body cannot
// make the decoder recurse thousands of levels deep.
func CheckDepth(data []byte, max int) error {
	depth, inStr, esc := 0, false, false
	for _, c := range data {
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			if depth++; depth > max {
				return fmt.Errorf("the JSON nests deeper than %d levels", max)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}
