package main

import (
	"bufio"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// results holds every sample of a benchmark run: key → impl → unit → values.
// The key is the benchmark name without "Benchmark", the "/impl=X" element
// and the -GOMAXPROCS suffix; impl is "" for benchmarks without one.
type results map[string]map[string]map[string][]float64

var procSuffix = regexp.MustCompile(`-\d+$`)

// parse reads `go test -bench` output; lines that are not results are
// skipped.
func parse(r io.Reader) (results, error) {
	res := results{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := procSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
		key, impl := name, ""
		if i := strings.Index(name, "/impl="); i >= 0 {
			rest := name[i+len("/impl="):]
			impl, key = rest, name[:i]
			if j := strings.IndexByte(rest, '/'); j >= 0 {
				impl, key = rest[:j], name[:i]+rest[j:]
			}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			if res[key] == nil {
				res[key] = map[string]map[string][]float64{}
			}
			if res[key][impl] == nil {
				res[key][impl] = map[string][]float64{}
			}
			res[key][impl][f[i+1]] = append(res[key][impl][f[i+1]], v)
		}
	}
	return res, sc.Err()
}

// median of the samples of key/impl/unit; ok is false when there are none.
func (r results) median(key, impl, unit string) (float64, bool) {
	v := r[key][impl][unit]
	if len(v) == 0 {
		return 0, false
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2], true
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
}

// count is the number of samples behind a median.
func (r results) count(key, impl, unit string) int { return len(r[key][impl][unit]) }
