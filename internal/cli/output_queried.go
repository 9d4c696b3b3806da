package cli

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// The table and tsv forms of a --query result follow the Azure CLI's
// (knack's) rules, so that scripts and habits carry over:
//   - a list is rows, anything else one row;
//   - an object row's columns are the query's multiselect-hash keys in the
//     query's order ({name:name, loc:location} → Name, Loc), other keys
//     after them, sorted;
//   - a list row (a multiselect list, [name, location]) is its elements in
//     order: tsv cells, table columns Column1, Column2, …;
//   - a scalar row is itself: a tsv line, a table column "Result";
//   - tsv prints a nested list as its length and a nested object as an
//     empty cell, so that every row keeps its columns; table leaves nested
//     values, nulls and the keys id, type and etag out.
// Unlike az, null prints as an empty cell and booleans as true/false (az
// prints None and True): the JSON spellings, as the rest of azmsi's tsv.

// orderedKeys lists m's keys: those in order first, in that order, then the
// rest sorted.
func orderedKeys(m map[string]any, order []string) []string {
	keys := make([]string, 0, len(m))
	for _, k := range order {
		if _, ok := m[k]; ok && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	var rest []string
	for k := range m {
		if !slices.Contains(keys, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(keys, rest...)
}

// resultRows is a query result as rows.
func resultRows(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func tsvCell(v any) string {
	switch t := v.(type) {
	case []any:
		return strconv.Itoa(len(t))
	case map[string]any:
		return ""
	}
	return sanitizeCell(scalarText(v))
}

func writeQueriedTSV(w io.Writer, v any, order []string) error {
	if v == nil {
		return nil
	}
	for _, r := range resultRows(v) {
		var cells []string
		switch t := r.(type) {
		case map[string]any:
			for _, k := range orderedKeys(t, order) {
				cells = append(cells, tsvCell(t[k]))
			}
		case []any:
			for _, e := range t {
				cells = append(cells, tsvCell(e))
			}
		default:
			cells = []string{tsvCell(t)}
		}
		if _, err := fmt.Fprintln(w, strings.Join(cells, "\t")); err != nil {
			return err
		}
	}
	return nil
}

// tableSkipKeys are left out of az's automatic tables.
var tableSkipKeys = map[string]bool{"id": true, "type": true, "etag": true}

func writeQueriedTable(w io.Writer, v any, order []string) error {
	if v == nil {
		return nil
	}
	var headers []string
	var rows []map[string]string
	add := func(row map[string]string, h, cell string) {
		if !slices.Contains(headers, h) {
			headers = append(headers, h)
		}
		row[h] = sanitizeCell(cell)
	}
	for _, r := range resultRows(v) {
		row := map[string]string{}
		switch t := r.(type) {
		case map[string]any:
			for _, k := range orderedKeys(t, order) {
				switch t[k].(type) {
				case nil, []any, map[string]any:
					continue
				}
				if !tableSkipKeys[k] {
					add(row, headerOf(k), scalarText(t[k]))
				}
			}
		case []any:
			for i, e := range t {
				add(row, "Column"+strconv.Itoa(i+1), scalarText(e))
			}
		default:
			add(row, "Result", scalarText(t))
		}
		rows = append(rows, row)
	}
	if len(headers) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	line := func(cells []string) {
		fmt.Fprintln(tw, strings.TrimRight(strings.Join(cells, "\t"), "\t"))
	}
	dash := make([]string, len(headers))
	for i, h := range headers {
		dash[i] = strings.Repeat("-", max(len(h), 1))
	}
	line(headers)
	line(dash)
	for _, r := range rows {
		cells := make([]string, len(headers))
		for i, h := range headers {
			cells[i] = r[h]
		}
		line(cells)
	}
	return tw.Flush()
}
