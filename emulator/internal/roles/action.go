package roles

import (
	"fmt"
	"strings"
)

// pattern is one compiled entry of actions/notActions/dataActions/
// notDataActions. Matching is ASCII case-insensitive and '*' matches any
// run of characters, '/' included (Contributor's notActions spell
// "Microsoft.Authorization/*/Write" while the operation is
// ".../roleAssignments/write"; unverified beyond that, see docs/rbac.md).
//
// A "/*/" in the middle may also match a single "/": the built-in roles
// rely on it (Managed Identity Operator's
// "Microsoft.ManagedIdentity/userAssignedIdentities/*/read" is how it
// reads the identity itself, ".../userAssignedIdentities/read"; Key Vault
// Reader's "Microsoft.KeyVault/vaults/*/read" reads the vault). This is
// inferred from those roles' documented purpose, not from a statement of
// the matching rule (unverified). Each such form is compiled as an extra
// variant with the "/*/" collapsed.
type pattern struct {
	text     string   // as written, for output
	variants []string // lower case; the first is the pattern itself
}

// maxCollapsible bounds the variants of one pattern (2^n).
const maxCollapsible = 3

func compilePattern(s string) pattern {
	low := strings.ToLower(s)
	var at []int // positions of non-overlapping "/*/"
	for i := 0; i+3 <= len(low) && len(at) < maxCollapsible; i++ {
		if low[i:i+3] == "/*/" {
			at = append(at, i)
			i += 2
		}
	}
	p := pattern{text: s, variants: make([]string, 0, 1<<len(at))}
	for mask := 0; mask < 1<<len(at); mask++ {
		var b strings.Builder
		prev := 0
		for bit, i := range at {
			if mask&(1<<bit) != 0 {
				b.WriteString(low[prev : i+1]) // keep the first '/', drop "*/"
				prev = i + 3
			}
		}
		b.WriteString(low[prev:])
		p.variants = append(p.variants, b.String())
	}
	return p
}

func (p pattern) match(action string) bool {
	for _, v := range p.variants {
		if globFold(v, action) {
			return true
		}
	}
	return false
}

// globFold matches s against the lower-case pattern p, folding ASCII case
// of s on the fly (no allocation). '*' matches any run, including none.
func globFold(p, s string) bool {
	px, sx := 0, 0
	star, mark := -1, 0
	for sx < len(s) {
		if px < len(p) {
			if p[px] == '*' {
				star, mark = px, sx
				px++
				continue
			}
			c := s[sx]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if p[px] == c {
				px++
				sx++
				continue
			}
		}
		if star < 0 {
			return false
		}
		mark++
		px, sx = star+1, mark
	}
	for px < len(p) && p[px] == '*' {
		px++
	}
	return px == len(p)
}

func compileAll(list []string) []pattern {
	out := make([]pattern, len(list))
	for i, s := range list {
		out[i] = compilePattern(s)
	}
	return out
}

func anyMatch(ps []pattern, action string) bool {
	for i := range ps {
		if ps[i].match(action) {
			return true
		}
	}
	return false
}

// maxActionLen bounds one action string in a custom role.
const maxActionLen = 512

// checkActionSyntax accepts the characters action strings are made of:
// letters, digits, '.', '-', '_', '/', '*'. Real ARM also checks each one
// against the registered providers' operations; the emulator does not
// know them, so it only checks the form.
func checkActionSyntax(field, s string) error {
	if s == "" {
		return fmt.Errorf("%s contains an empty string; remove it or write an action such as Microsoft.Compute/virtualMachines/read", field)
	}
	if len(s) > maxActionLen {
		return fmt.Errorf("%s contains an action of %d characters; at most %d are allowed", field, len(s), maxActionLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("./-_*", c) >= 0 {
			continue
		}
		return fmt.Errorf("%s contains %q, with the character %q; actions look like {Namespace}/{type}/read|write|delete or …/{name}/action, with '*' as wildcard", field, s, c)
	}
	return nil
}
