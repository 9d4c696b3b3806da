// Command benchtable turns the output of bench/run.sh (raw `go test -bench`
// results and benchstat's comparison) into BENCHMARKS.md: the headline rows,
// the full table (azmsi, the peer, the ratio, the target), the machine, the
// exact commands and the notes. Medians are used, as benchstat does.
//
// usage: benchtable -raw raw.txt -benchstat benchstat.txt -commands cmds.txt
//
//	-notes NOTES.md -load "1.2 0.9 0.8" > BENCHMARKS.md
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

func main() {
	raw := flag.String("raw", "", "go test -bench output (required)")
	stat := flag.String("benchstat", "", "benchstat output to include")
	cmds := flag.String("commands", "", "file with the commands that produced raw")
	notes := flag.String("notes", "", "markdown appended after the table")
	load := flag.String("load", "", "load average when the run started")
	sdk := flag.String("sdk", "", "versions of the Azure SDK modules, for the introduction")
	flag.Parse()
	if *raw == "" {
		fmt.Fprintln(os.Stderr, "benchtable: -raw is required")
		os.Exit(2)
	}
	sdkVersions = *sdk
	if err := run(os.Stdout, *raw, *stat, *cmds, *notes, *load); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

// sdkVersions names the peer's module versions ("azidentity v1.15.0, …").
var sdkVersions string

func run(w io.Writer, rawPath, statPath, cmdsPath, notesPath, load string) error {
	f, err := os.Open(rawPath)
	if err != nil {
		return err
	}
	res, err := parse(f)
	f.Close()
	if err != nil {
		return err
	}
	if len(res) == 0 {
		return fmt.Errorf("%s holds no benchmark results", rawPath)
	}
	read := func(p string) string {
		if p == "" {
			return ""
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Sprintf("(%v)", err)
		}
		return strings.TrimRight(string(b), "\n")
	}
	render(w, res, machine(load), read(cmdsPath), read(notesPath), read(statPath))
	return nil
}

// machine describes where the numbers were taken.
func machine(load string) string {
	var b strings.Builder
	cpu := "unknown"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	goVersion := runtime.Version()
	if out, err := exec.Command("go", "version").Output(); err == nil {
		goVersion = strings.TrimSpace(string(out))
	}
	fmt.Fprintf(&b, "- CPU: %s, %d logical CPUs (nproc)\n", cpu, runtime.NumCPU())
	fmt.Fprintf(&b, "- %s\n", goVersion)
	if load != "" {
		fmt.Fprintf(&b, "- load average when the run started: %s\n", load)
	}
	fmt.Fprintf(&b, "- generated %s\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	return b.String()
}
