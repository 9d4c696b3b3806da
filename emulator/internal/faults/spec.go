// Package faults makes an endpoint family fail on purpose: parsing and
// validating a fault spec (error statuses, resets, truncated bodies, HTML
// gateway pages, wrong-identity tokens, latency, a 410 window and a down
// window), and the Injector that wraps a family's handler and listener.
// Draws are seeded per family, so a seed and a request order reproduce the
// same faults. See docs/reliability.md.
package faults

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Faults is a parsed fault-injection spec (see Parse and
// docs/reliability.md). The zero value injects nothing.
type Faults struct {
	// Seed makes every random decision reproducible: each family draws from
	// its own PCG generator seeded with (Seed, family).
	Seed uint64
	// Families maps an endpoint family ("imds", "arm", "appservice", …) to
	// its faults.
	Families map[string]FamilyFaults
}

// FamilyFaults are the faults of one endpoint family. Rates are
// probabilities per request in [0,1]; their sum must not exceed 1 (at most
// one of them happens to a request). Durations are on the server's clock
// except Latency, which is real time.
type FamilyFaults struct {
	// Status maps an HTTP status (400-599) to the rate at which requests are
	// answered with it instead of being served. 429 and 503 carry
	// Retry-After (RetryAfter).
	Status map[int]float64
	// Reset is the rate of connections reset (TCP RST) without an answer.
	Reset float64
	// Truncate is the rate of answers cut off in the middle of the body
	// (the connection closes before Content-Length bytes arrive).
	Truncate float64
	// HTML is the rate of 502 answers with an HTML body, as a gateway or
	// proxy would send.
	HTML float64
	// WrongID is the rate of token requests answered with a token for a
	// different identity than the one asked for (identity families only).
	WrongID float64
	// Latency delays every faulted family request by this much (real time).
	Latency time.Duration
	// Window410 answers every request with 410 Gone for this long after the
	// faults are installed (IMDS's "upgrade in progress, back within 70 s").
	Window410 time.Duration
	// Down refuses connections (nothing listens) for this long after the
	// faults are installed.
	Down time.Duration
	// RetryAfter is the Retry-After of injected 429 and 503 answers (and of
	// status-rate 410s); default 1s. The 410 window sends none.
	RetryAfter time.Duration
}

// Families are the endpoint families a spec may name: "imds", the other
// identity hosts, and "arm".
var Families = []string{"imds", "appservice", "appservice2017", "cloudshell", "arc", "servicefabric", "azureml", "workload", "containerapps", "arm"}

// faultKinds, in the order a request's random draw walks the rates.
const faultKindsHelp = "a status 400-599, 410window, latency, reset, truncate, html, wrongid, down or retryafter"

// MaxSpec bounds the spec length (it arrives over HTTP too).
const MaxSpec = 4096

// Parse parses a spec such as
//
//	imds:500=0.3,imds:429=0.1,arm:503=0.2,arm:latency=50ms,imds:down=5s,seed=42
//
// Items are comma separated; each is seed=N or FAMILY:KIND=VALUE where
// FAMILY is one of Families and KIND is a status code (rate), reset,
// truncate, html or wrongid (rates in [0,1]), or latency, 410window, down or
// retryafter (Go durations). The empty spec means no faults.
func Parse(spec string) (*Faults, error) {
	f := &Faults{Families: map[string]FamilyFaults{}}
	if len(spec) > MaxSpec {
		return nil, fmt.Errorf("fault spec is %d bytes; at most %d are accepted", len(spec), MaxSpec)
	}
	seen := map[string]bool{}
	seedSet := false
	for i, raw := range strings.Split(spec, ",") {
		item := strings.TrimSpace(raw)
		if item == "" {
			if strings.TrimSpace(spec) == "" {
				break
			}
			return nil, fmt.Errorf("fault spec item %d is empty; remove the extra comma", i+1)
		}
		bad := func(format string, a ...any) error {
			return fmt.Errorf("fault spec item %d %q: %s", i+1, item, fmt.Sprintf(format, a...))
		}
		key, val, ok := strings.Cut(item, "=")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if !ok || val == "" {
			return nil, bad("expected FAMILY:KIND=VALUE or seed=N")
		}
		if key == "seed" {
			if seedSet {
				return nil, bad("seed is given twice")
			}
			n, err := strconv.ParseUint(val, 10, 64)
			if err != nil {
				return nil, bad("seed must be a non-negative integer")
			}
			f.Seed, seedSet = n, true
			continue
		}
		fam, kind, ok := strings.Cut(key, ":")
		fam, kind = strings.ToLower(strings.TrimSpace(fam)), strings.ToLower(strings.TrimSpace(kind))
		if !ok {
			return nil, bad("expected FAMILY:KIND=VALUE (e.g. imds:500=0.3) or seed=N")
		}
		if !slices.Contains(Families, fam) {
			return nil, bad("unknown family %q; expected one of %s", fam, strings.Join(Families, ", "))
		}
		if seen[fam+":"+kind] {
			return nil, bad("%s:%s is given twice", fam, kind)
		}
		seen[fam+":"+kind] = true
		ff := f.Families[fam]
		rate := func(dst *float64) error {
			r, err := strconv.ParseFloat(val, 64)
			if err != nil || math.IsNaN(r) || r < 0 || r > 1 {
				return bad("the rate must be a number from 0 to 1, e.g. 0.3")
			}
			*dst = r
			return nil
		}
		dur := func(dst *time.Duration) error {
			d, err := time.ParseDuration(val)
			if err != nil || d < 0 {
				return bad("expected a duration such as 50ms, 5s or 70s")
			}
			if d > 24*time.Hour {
				return bad("durations above 24h are not accepted")
			}
			*dst = d
			return nil
		}
		var err error
		switch kind {
		case "reset":
			err = rate(&ff.Reset)
		case "truncate":
			err = rate(&ff.Truncate)
		case "html":
			err = rate(&ff.HTML)
		case "wrongid":
			if fam == "arm" {
				return nil, bad("wrongid applies to identity families, not arm")
			}
			err = rate(&ff.WrongID)
		case "latency":
			err = dur(&ff.Latency)
		case "410window":
			err = dur(&ff.Window410)
		case "down":
			err = dur(&ff.Down)
		case "retryafter":
			err = dur(&ff.RetryAfter)
		default:
			code, cerr := strconv.Atoi(kind)
			if cerr != nil || len(kind) != 3 || code < 400 || code > 599 {
				return nil, bad("unknown kind %q; expected %s", kind, faultKindsHelp)
			}
			var r float64
			if err = rate(&r); err == nil {
				if ff.Status == nil {
					ff.Status = map[int]float64{}
				}
				ff.Status[code] = r
			}
		}
		if err != nil {
			return nil, err
		}
		f.Families[fam] = ff
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// MustParse is Parse for specs known to be valid (tests,
// examples); it panics on error.
func MustParse(spec string) *Faults {
	f, err := Parse(spec)
	if err != nil {
		panic(err)
	}
	return f
}

// Validate checks families, rates and durations of a Faults built in Go.
func (f *Faults) Validate() error {
	if f == nil {
		return nil
	}
	for fam, ff := range f.Families {
		if !slices.Contains(Families, fam) {
			return fmt.Errorf("faults: unknown family %q; expected one of %s", fam, strings.Join(Families, ", "))
		}
		if fam == "arm" && ff.WrongID > 0 {
			return errors.New("faults: wrongid applies to identity families, not arm")
		}
		sum := 0.0
		for _, r := range ff.rates() {
			if math.IsNaN(r.rate) || r.rate < 0 || r.rate > 1 {
				return fmt.Errorf("faults: %s:%s rate %v is not within 0..1", fam, r.kind, r.rate)
			}
			if r.code != 0 && (r.code < 400 || r.code > 599) {
				return fmt.Errorf("faults: %s: status %d is not within 400..599", fam, r.code)
			}
			sum += r.rate
		}
		if sum > 1+1e-9 {
			return fmt.Errorf("faults: the rates of %s add up to %.3g; at most one fault happens per request, so they must add up to 1 or less", fam, sum)
		}
		for _, d := range []time.Duration{ff.Latency, ff.Window410, ff.Down, ff.RetryAfter} {
			if d < 0 {
				return fmt.Errorf("faults: %s: negative duration %s", fam, d)
			}
		}
	}
	return nil
}

// faultRate is one rate in draw order.
type faultRate struct {
	kind string // "500", "reset", …
	code int    // status for status faults, else 0
	rate float64
}

// rates lists the family's rates in a fixed order (statuses ascending, then
// reset, truncate, html, wrongid) so a seed always means the same thing.
func (ff FamilyFaults) rates() []faultRate {
	var out []faultRate
	codes := make([]int, 0, len(ff.Status))
	for c := range ff.Status {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		out = append(out, faultRate{strconv.Itoa(c), c, ff.Status[c]})
	}
	out = append(out, []faultRate{{"reset", 0, ff.Reset}, {"truncate", 0, ff.Truncate}, {"html", 0, ff.HTML}, {"wrongid", 0, ff.WrongID}}...)
	return out
}

// String is the canonical spec: families sorted, kinds in draw order, then
// durations, seed last. Parse(f.String()) yields an equal Faults.
func (f *Faults) String() string {
	if f == nil {
		return ""
	}
	var items []string
	fams := make([]string, 0, len(f.Families))
	for fam := range f.Families {
		fams = append(fams, fam)
	}
	slices.Sort(fams)
	for _, fam := range fams {
		ff := f.Families[fam]
		for _, r := range ff.rates() {
			if r.rate > 0 {
				items = append(items, fam+":"+r.kind+"="+strconv.FormatFloat(r.rate, 'g', -1, 64))
			}
		}
		for _, d := range []struct {
			kind string
			d    time.Duration
		}{{"latency", ff.Latency}, {"410window", ff.Window410}, {"down", ff.Down}, {"retryafter", ff.RetryAfter}} {
			if d.d > 0 {
				items = append(items, fam+":"+d.kind+"="+d.d.String())
			}
		}
	}
	if len(items) == 0 && f.Seed == 0 {
		return ""
	}
	items = append(items, "seed="+strconv.FormatUint(f.Seed, 10))
	return strings.Join(items, ",")
}

// active reports whether f injects anything at all.
func (f *Faults) active() bool {
	if f == nil {
		return false
	}
	for _, ff := range f.Families {
		if ff.Latency > 0 || ff.Window410 > 0 || ff.Down > 0 {
			return true
		}
		for _, r := range ff.rates() {
			if r.rate > 0 {
				return true
			}
		}
	}
	return false
}
