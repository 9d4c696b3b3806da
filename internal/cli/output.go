package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/jmespath/go-jmespath"
	"github.com/spf13/pflag"
)

// OutputOptions are -o and --query, shared by every command that prints
// data. The data is always built as its JSON form first (the ARM objects,
// like `az … -o json`); --query runs on that form, as in the Azure CLI, and
// table/tsv render the result.
type OutputOptions struct {
	Format string
	Query  string

	allowed []string
	query   *jmespath.JMESPath
	order   []string // keys of the query's multiselect hash, in its order
}

// addOutputFlags registers -o (def, one of allowed) and --query.
func addOutputFlags(fs *pflag.FlagSet, o *OutputOptions, def string, allowed ...string) {
	addFormatFlag(fs, o, def, allowed...)
	fs.StringVar(&o.Query, "query", "", "JMESPath query applied to the JSON output (like az --query)")
}

// addFormatFlag registers -o alone, for commands with nothing to query.
func addFormatFlag(fs *pflag.FlagSet, o *OutputOptions, def string, allowed ...string) {
	o.allowed = allowed
	fs.StringVarP(&o.Format, "output", "o", def, "output format: "+strings.Join(allowed, ", "))
}

// validate checks -o and compiles --query; both failures are usage errors.
func (o *OutputOptions) validate() error {
	ok := false
	for _, a := range o.allowed {
		if o.Format == a {
			ok = true
		}
	}
	if !ok {
		return flagErrorf("unknown output format %q; use one of: %s", o.Format, strings.Join(o.allowed, ", "))
	}
	if o.Query != "" {
		q, err := jmespath.Compile(o.Query)
		if err != nil {
			return flagErrorf("invalid --query %q: %v", o.Query, err)
		}
		o.query = q
		o.order = multiselectKeys(o.Query)
	}
	return nil
}

// column is one table/tsv column: a header and how to read it from an
// object of the JSON form.
type column struct {
	Header string
	Get    func(map[string]any) string
}

// field reads a dotted path ("properties.provisioningState") as text.
func field(header, path string) column {
	return column{Header: header, Get: func(m map[string]any) string {
		var v any = m
		for _, p := range strings.Split(path, ".") {
			mm, ok := v.(map[string]any)
			if !ok {
				return ""
			}
			v = mm[p]
		}
		return scalarText(v)
	}}
}

// toJSONForm converts typed data into generic JSON values (maps, slices,
// strings, json.Number) so that queries and tables see exactly what -o json
// prints.
func toJSONForm(data any) (any, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// print renders data in the chosen format. cols describe the table (and
// tsv) form of the unqueried data; a list is rows, an object one row.
func (o *OutputOptions) print(w io.Writer, data any, cols []column) error {
	v, err := toJSONForm(data)
	if err != nil {
		return err
	}
	if o.query != nil {
		// jmespath compares numbers as float64; feed it plain floats.
		v, err = o.query.Search(numbersToFloat(v))
		if err != nil {
			return flagErrorf("--query %q: %v", o.Query, err)
		}
		switch o.Format {
		case "tsv":
			return writeQueriedTSV(w, v, o.order)
		case "table":
			return writeQueriedTable(w, v, o.order)
		}
	}
	switch o.Format {
	case "json":
		return writeJSON(w, v)
	case "tsv":
		return writeTSV(w, v, cols)
	default:
		return writeTable(w, v, cols)
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func numbersToFloat(v any) any {
	switch t := v.(type) {
	case json.Number:
		if f, err := t.Float64(); err == nil {
			return f
		}
		return t.String()
	case map[string]any:
		for k, e := range t {
			t[k] = numbersToFloat(e)
		}
	case []any:
		for i, e := range t {
			t[i] = numbersToFloat(e)
		}
	}
	return v
}

// scalarText prints a JSON value in a cell: strings bare, null empty,
// numbers as written, objects and arrays as compact JSON.
func scalarText(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case json.Number:
		return t.String()
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	default:
		b, _ := json.Marshal(t)
		return string(b)
	}
}

// rows normalises the JSON form into rows of objects or, for scalars and
// lists of scalars, nil (printed one per line).
func rows(v any) ([]map[string]any, bool) {
	switch t := v.(type) {
	case map[string]any:
		return []map[string]any{t}, true
	case []any:
		out := make([]map[string]any, 0, len(t))
		for _, e := range t {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, false
			}
			out = append(out, m)
		}
		return out, true
	}
	return nil, false
}

// genericColumns are the columns of a queried result: its keys, sorted,
// scalar values only (as az's table output drops nested objects).
func genericColumns(rs []map[string]any) []column {
	seen := map[string]bool{}
	var keys []string
	for _, r := range rs {
		for k, v := range r {
			switch v.(type) {
			case map[string]any, []any:
				continue
			}
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	cols := make([]column, len(keys))
	for i, k := range keys {
		cols[i] = field(headerOf(k), k)
	}
	return cols
}

// headerOf turns a JSON key into a table header: "subscriptionId" →
// "SubscriptionId", as az does.
func headerOf(k string) string {
	if k == "" {
		return k
	}
	return strings.ToUpper(k[:1]) + k[1:]
}

func writeScalars(w io.Writer, v any) error {
	if l, ok := v.([]any); ok {
		for _, e := range l {
			if _, err := fmt.Fprintln(w, scalarText(e)); err != nil {
				return err
			}
		}
		return nil
	}
	if v == nil {
		return nil
	}
	_, err := fmt.Fprintln(w, scalarText(v))
	return err
}

// tabular splits v into rows of objects and their columns (cols, else
// the rows' own scalar keys); ok is false for scalars and lists of them.
func tabular(v any, cols []column) ([]map[string]any, []column, bool) {
	rs, ok := rows(v)
	if ok && cols == nil {
		cols = genericColumns(rs)
	}
	return rs, cols, ok
}

// cells reads one row's cells, each kept on one line.
func cells(r map[string]any, cols []column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = sanitizeCell(c.Get(r))
	}
	return out
}

func writeTable(w io.Writer, v any, cols []column) error {
	rs, cols, ok := tabular(v, cols)
	if !ok {
		return writeScalars(w, v)
	}
	if len(rs) == 0 || len(cols) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	line := func(cells []string) {
		fmt.Fprintln(tw, strings.TrimRight(strings.Join(cells, "\t"), "\t"))
	}
	hdr := make([]string, len(cols))
	dash := make([]string, len(cols))
	for i, c := range cols {
		hdr[i] = c.Header
		dash[i] = strings.Repeat("-", max(len(c.Header), 1))
	}
	line(hdr)
	line(dash)
	for _, r := range rs {
		line(cells(r, cols))
	}
	return tw.Flush()
}

func writeTSV(w io.Writer, v any, cols []column) error {
	rs, cols, ok := tabular(v, cols)
	if !ok {
		return writeScalars(w, v)
	}
	for _, r := range rs {
		if _, err := fmt.Fprintln(w, strings.Join(cells(r, cols), "\t")); err != nil {
			return err
		}
	}
	return nil
}

// sanitizeCell keeps one value on one cell: tabs and newlines would break
// the columns (and a hostile tag value could forge rows).
func sanitizeCell(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}
