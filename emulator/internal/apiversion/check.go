package apiversion

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
)

// Result is what a request's api-version is served as.
type Result struct {
	Version string // as sent
	// BehavesAs is the known version the request is served as: Version
	// itself when the table lists it, else the nearest known one.
	BehavesAs string
	Known     bool // the type has a table (else any well-formed version is served as sent)
}

// Refusal is ARM's 400 for an api-version it does not serve.
type Refusal struct {
	Code    string // InvalidApiVersionParameter or NoRegisteredProviderFound
	Message string
}

func (r *Refusal) Error() string { return r.Code + ": " + r.Message }

// Checker applies a Catalog to requests. It is safe for concurrent use.
type Checker struct {
	catalog *Catalog
	strict  bool
	log     *slog.Logger

	mu     sync.Mutex
	logged map[string]struct{} // "type|version" already logged; bounded by maxLogged
}

// maxLogged bounds the log-once set: past it, new versions are still served
// but no longer logged (a client cycling versions cannot grow memory).
const maxLogged = 1024

// NewChecker returns a checker over c. strict refuses every version the
// tables do not list (including all versions of types without a table);
// otherwise unknown well-formed versions are served as the nearest known
// one and logged once. A nil logger logs nothing.
func NewChecker(c *Catalog, strict bool, log *slog.Logger) *Checker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Checker{catalog: c, strict: strict, log: log, logged: map[string]struct{}{}}
}

// Catalog is the checker's catalog.
func (k *Checker) Catalog() *Catalog { return k.catalog }

// Strict reports whether the checker refuses unknown versions.
func (k *Checker) Strict() bool { return k.strict }

// Check decides version for fullType ("Microsoft.KeyVault/vaults"). location
// (may be "") only goes into NoRegisteredProviderFound's message.
//
//   - malformed → InvalidApiVersionParameter;
//   - listed → served as is;
//   - newer than the newest listed, or between two listed → served as the
//     newest listed version not newer than it, logged once (strict: refused);
//   - older than the oldest listed → refused.
//
// Refusals use InvalidApiVersionParameter for Microsoft.Resources routes and
// NoRegisteredProviderFound for other providers' types (unverified, U20-9).
func (k *Checker) Check(fullType, version, location string) (Result, *Refusal) {
	t, known := k.catalog.Lookup(fullType)
	v, err := Parse(version)
	if err != nil {
		return Result{}, k.refuse(fullType, t, version, location, true)
	}
	if !known {
		if k.strict || v.Compare(k.catalog.oldest) < 0 {
			return Result{}, k.refuse(fullType, nil, version, location, false)
		}
		return Result{Version: version, BehavesAs: v.String()}, nil
	}
	for _, p := range t.parsed {
		if v.Compare(p) == 0 {
			return Result{Version: version, BehavesAs: p.String(), Known: true}, nil
		}
	}
	if as, ok := nearestOlder(t.parsed, v); ok {
		if k.strict {
			return Result{}, k.refuse(fullType, t, version, location, false)
		}
		k.logOnce(fullType, version, as.String())
		return Result{Version: version, BehavesAs: as.String(), Known: true}, nil
	}
	return Result{}, k.refuse(fullType, t, version, location, false)
}

// nearestOlder is the newest known version older than v (parsed is newest
// first), preferring a stable one for a stable request: a client that sends
// a future stable version expects stable behaviour, not a preview's.
func nearestOlder(parsed []Version, v Version) (Version, bool) {
	var any *Version
	for i, p := range parsed {
		if v.Compare(p) <= 0 {
			continue
		}
		if p.Stable() || !v.Stable() {
			return p, true
		}
		if any == nil {
			any = &parsed[i]
		}
	}
	if any != nil {
		return *any, true
	}
	return Version{}, false
}

func (k *Checker) logOnce(fullType, version, as string) {
	key := strings.ToLower(fullType) + "|" + version
	k.mu.Lock()
	_, seen := k.logged[key]
	if !seen && len(k.logged) < maxLogged {
		k.logged[key] = struct{}{}
	}
	k.mu.Unlock()
	if !seen {
		k.log.Info("api-version not in the emulator's table; serving it as the nearest known version",
			"type", fullType, "apiVersion", clip(version), "behavesAs", as)
	}
}

func (k *Checker) refuse(fullType string, t *Type, version, location string, malformed bool) *Refusal {
	var list []string
	if t != nil {
		list = t.Versions
	}
	ns, _, _ := strings.Cut(fullType, "/")
	if malformed || strings.EqualFold(ns, "Microsoft.Resources") || t == nil && !k.strict {
		msg := fmt.Sprintf("The api-version '%s' is invalid. The supported versions are '%s'.", clip(version), strings.Join(list, ","))
		if t == nil {
			msg = fmt.Sprintf("The api-version '%s' is invalid. Use a version of the form YYYY-MM-DD or YYYY-MM-DD-preview, from %s on.", clip(version), defaultOldest)
		}
		return &Refusal{Code: "InvalidApiVersionParameter", Message: msg}
	}
	if t == nil {
		return &Refusal{Code: "NoRegisteredProviderFound", Message: fmt.Sprintf(
			"No registered resource provider found for location '%s' and API version '%s' for type '%s'. The emulator runs with strict api-versions and has no table for this type; add it to the config's resource types or run without --strict-api-versions.",
			clip(location), clip(version), clip(fullType))}
	}
	return &Refusal{Code: "NoRegisteredProviderFound", Message: fmt.Sprintf(
		"No registered resource provider found for location '%s' and API version '%s' for type '%s'. The supported api-versions are '%s'. The supported locations are '%s'.",
		clip(location), clip(version), clip(fullType), strings.Join(list, ", "), strings.Join(k.locationsFor(t), ", "))}
}

func (k *Checker) locationsFor(t *Type) []string {
	if !t.Tracked {
		return []string{"global"}
	}
	return k.catalog.locations
}
