package main

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// row is one line of the table: the median of unit for key, azmsi against
// the peer implementation.
type row struct {
	label      string
	key, unit  string
	peer       string // impl of the peer: "sdk", "python"; "" → none
	higherWins bool   // throughput-like metric
	format     func(float64) string
	target     string
	met        func(az, peer float64, hasPeer bool) bool
	headline   bool
}

var peerNames = map[string]string{
	"sdk":         "Azure SDK for Go",
	"python":      "Python azure-identity + azure-mgmt-resource",
	"az":          "Azure CLI (`az group list`)",
	"python-seed": "Python seed program (msrestazure)",
	"no-broker":   "azmsi --no-broker (every process asks the endpoint)",
	"sdk8":        "Azure SDK for Go, 8 pagers at a time",
	"sdkv3":       "armresources/v3 v3.0.1, 8 pagers at a time",
}

func faster(x float64) func(az, peer float64, hasPeer bool) bool {
	return func(az, peer float64, hasPeer bool) bool { return hasPeer && az > 0 && peer/az >= x }
}

func below(x float64) func(az, peer float64, hasPeer bool) bool {
	return func(az, _ float64, _ bool) bool { return az < x }
}

func atLeast(x float64) func(az, peer float64, hasPeer bool) bool {
	return func(az, _ float64, _ bool) bool { return az >= x }
}

var rows = []row{
	{label: "Cached token, serial", key: "CachedToken/serial", unit: "ns/op", peer: "sdk", format: dur, target: "≥ 20× faster", met: faster(20), headline: true},
	{label: "Cached token, allocations", key: "CachedToken/serial", unit: "allocs/op", peer: "sdk", format: count, target: "0 allocs/op", met: func(az, _ float64, _ bool) bool { return az == 0 }, headline: true},
	{label: "Cached token, RunParallel", key: "CachedToken/parallel", unit: "ns/op", peer: "sdk", format: dur, target: "≥ 20× faster", met: faster(20)},
	{label: "Cold burst, 1,000 callers: upstream requests", key: "ColdBurst/callers=1000", unit: "upstream-reqs/op", peer: "sdk", format: count, target: "exactly 1", met: func(az, _ float64, _ bool) bool { return az == 1 }, headline: true},
	{label: "Cold burst, 1,000 callers: wall time", key: "ColdBurst/callers=1000", unit: "ns/op", peer: "sdk", format: dur},
	{label: "During refresh, 64 callers: p50 latency", key: "Refresh/callers=64", unit: "p50-ns", peer: "sdk", format: dur},
	{label: "During refresh, 64 callers: p99 latency", key: "Refresh/callers=64", unit: "p99-ns", peer: "sdk", format: dur, headline: true},
	{label: "During refresh, 64 callers: max latency", key: "Refresh/callers=64", unit: "max-ns", peer: "sdk", format: dur},
	{label: "Off Azure: time to \"unavailable\"", key: "OffAzure", unit: "ns/op", peer: "sdk", format: dur, target: "< 50 ms", met: below(50e6), headline: true},
	{label: "List 10,000 groups, 1 subscription", key: "ListGroups/subs=1/groups=10000", unit: "ns/op", peer: "sdk", format: dur, target: "≥ 1.5× faster", met: faster(1.5), headline: true},
	{label: "List 100 subscriptions × 500 groups", key: "ListGroups/subs=100/groups=500", unit: "ns/op", peer: "sdk", format: dur, target: "≥ 4× faster", met: faster(4), headline: true},
	{label: "List 10,000 groups, 1 subscription", key: "ListGroups/subs=1/groups=10000", unit: "ns/op", peer: "sdkv3", format: dur, target: "≥ 5× faster", met: faster(5)},
	{label: "List 100 subscriptions × 500 groups", key: "ListGroups/subs=100/groups=500", unit: "ns/op", peer: "sdk8", format: dur, target: "≥ 3× faster", met: faster(3), headline: true},
	{label: "List 100 subscriptions × 500 groups", key: "ListGroups/subs=100/groups=500", unit: "ns/op", peer: "sdkv3", format: dur, target: "≥ 3× faster", met: faster(3)},
	{label: "CLI: `azmsi version` (startup)", key: "CLI/startup", unit: "ns/op", format: dur, target: "< 20 ms", met: below(20e6), headline: true},
	{label: "CLI: `azmsi version` peak RSS", key: "CLI/startup", unit: "peak-RSS-MB", format: mb, target: "< 30 MB", met: below(30)},
	{label: "CLI: groups list (process), wall time", key: "CLI/groups-list", unit: "ns/op", peer: "sdk", format: dur, headline: true},
	{label: "CLI: groups list (process), wall time", key: "CLI/groups-list", unit: "ns/op", peer: "python", format: dur, headline: true},
	{label: "CLI: groups list (process), peak RSS", key: "CLI/groups-list", unit: "peak-RSS-MB", peer: "sdk", format: mb, target: "< 30 MB", met: below(30), headline: true},
	{label: "CLI: groups list (process), peak RSS", key: "CLI/groups-list", unit: "peak-RSS-MB", peer: "python", format: mb, target: "< 30 MB", met: below(30)},
	{label: "CLI at the real addresses (netns, unmodified clients): groups list", key: "CLINetns/groups-list", unit: "ns/op", peer: "sdk", format: dur},
	{label: "CLI at the real addresses (netns, unmodified clients): groups list", key: "CLINetns/groups-list", unit: "ns/op", peer: "python-seed", format: dur, headline: true},
	{label: "CLI at the real addresses (netns, unmodified clients): groups list", key: "CLINetns/groups-list", unit: "ns/op", peer: "az", format: dur, headline: true},
	{label: "CLI at the real addresses (netns): peak RSS", key: "CLINetns/groups-list", unit: "peak-RSS-MB", peer: "python-seed", format: mb, target: "< 30 MB", met: below(30)},
	{label: "CLI at the real addresses (netns): peak RSS", key: "CLINetns/groups-list", unit: "peak-RSS-MB", peer: "az", format: mb, target: "< 30 MB", met: below(30)},
	{label: "1,000 `azmsi token` processes, broker listening: upstream requests", key: "CLIBroker/procs=1000", unit: "upstream-reqs/op", peer: "no-broker", format: count, target: "exactly 1", met: func(az, _ float64, _ bool) bool { return az == 1 }, headline: true},
	{label: "1,000 `azmsi token` processes, broker listening: wall time", key: "CLIBroker/procs=1000", unit: "ns/op", peer: "no-broker", format: dur},
	{label: "Emulator: token requests/s (loopback)", key: "Emulator/token-requests", unit: "req/s", higherWins: true, format: rate, target: "≥ 20,000/s", met: atLeast(20000)},
	{label: "Emulator: list pages/s (100 groups, HTTPS)", key: "Emulator/list-pages", unit: "req/s", higherWins: true, format: rate, target: "≥ 5,000/s", met: atLeast(5000)},
	{label: "Emulator: heap for 100,000 groups", key: "EmulatorMemory", unit: "heap-MB", format: mb},
	{label: "Emulator: list pages/s (100 groups), no other role assignments", key: "EmulatorRBAC/list-pages-without-assignments", unit: "req/s", higherWins: true, format: rate},
	{label: "Emulator: list pages/s (100 groups), 12,000 role assignments across scopes", key: "EmulatorRBAC/list-pages-with-12000-assignments", unit: "req/s", higherWins: true, format: rate, target: "within 10 % of the row above (same run)"},
	{label: "Emulator: Key Vault secret gets/s (HTTPS, access policy)", key: "EmulatorSecretGets", unit: "req/s", higherWins: true, format: rate, target: "≥ 10,000/s", met: atLeast(10000)},
	{label: "Emulator: list pages/s (100 of 100,000 generic resources, HTTPS)", key: "GenericResources/list-pages", unit: "req/s", higherWins: true, format: rate, target: "≥ 5,000/s", met: atLeast(5000)},
	{label: "Emulator: heap for 100,000 generic resources", key: "GenericResources/heap", unit: "heap-MB", format: mb, target: "≤ 200 MB", met: func(az, _ float64, _ bool) bool { return az <= 200 }},
	{label: "Emulator: start to ready (env file written), no state", key: "EmulatorStart/state=false", unit: "ns/op", format: dur, target: "≤ 50 ms", met: func(az, _ float64, _ bool) bool { return az <= 50e6 }},
	{label: "Emulator: start to ready (env file written), --state", key: "EmulatorStart/state=true", unit: "ns/op", format: dur, target: "≤ 50 ms", met: func(az, _ float64, _ bool) bool { return az <= 50e6 }},
}

// cell is one rendered row.
type cell struct{ label, az, peer, peerName, ratio, target, met string }

func (r row) cell(res results) cell {
	c := cell{label: r.label, az: "n/a", peer: "—", ratio: "—", target: r.target, met: "—"}
	azImpl := "azmsi"
	if _, ok := res[r.key][azImpl]; !ok {
		azImpl = "" // benchmarks of azmsi alone carry no impl
	}
	az, okAz := res.median(r.key, azImpl, r.unit)
	if okAz {
		c.az = r.format(az)
	}
	var peer float64
	var okPeer bool
	if r.peer != "" {
		c.peerName = peerNames[r.peer]
		peer, okPeer = res.median(r.key, r.peer, r.unit)
		switch {
		case okPeer:
			c.peer = r.format(peer)
			if cut, ok := res.median(r.key, r.peer, "cut-off"); ok && cut > 0 {
				c.peer = "> " + c.peer + " (cut off)"
			}
		case r.peer == "az" || r.peer == "python" || r.peer == "python-seed":
			c.peer = "not run (see notes)"
		default:
			c.peer = "n/a"
		}
		if okAz && okPeer {
			c.ratio = ratio(az, peer, r.higherWins)
		}
	}
	if r.met != nil && okAz {
		if r.met(az, peer, okPeer) {
			c.met = "✅ met"
		} else {
			c.met = "❌ missed"
		}
	}
	return c
}

// ratio says how many times better azmsi is than the peer.
func ratio(az, peer float64, higherWins bool) string {
	if az == 0 && peer == 0 {
		return "="
	}
	if az == 0 || peer == 0 {
		return "∞"
	}
	x := peer / az
	if higherWins {
		x = az / peer
	}
	if x >= 10 {
		return fmt.Sprintf("%.0f×", x)
	}
	return fmt.Sprintf("%.2f×", x)
}

func dur(ns float64) string {
	switch {
	case ns >= 1e9:
		return fmt.Sprintf("%.2f s", ns/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%.1f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.0f ns", ns)
	}
}

func count(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func mb(v float64) string { return fmt.Sprintf("%.1f MB", v) }

func rate(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	// thousands separators
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String() + "/s"
}

func render(w io.Writer, res results, machine, cmds, notes, stat string) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("# azmsi benchmarks\n\n")
	p("Generated by `bench/run.sh` — do not edit by hand; edit bench/NOTES.md or the benchmarks.\n")
	sdk := ""
	if sdkVersions != "" {
		sdk = " (" + sdkVersions + ")"
	}
	p("azmsi and the Azure SDK for Go%s run against the same in-process azmsi emulator in the same run;\n", sdk)
	p("ratios are medians of the peer over azmsi (higher = azmsi better).\n\n")

	p("## Headline\n\n")
	p("| | azmsi | peer | azmsi is |\n|---|---:|---:|---:|\n")
	for _, r := range rows {
		if !r.headline {
			continue
		}
		c := r.cell(res)
		peer := c.peer
		if c.peerName != "" && c.peer != "—" {
			peer = c.peer + " (" + shortPeer(r.peer) + ")"
		}
		better := c.ratio
		switch {
		case strings.HasPrefix(better, "0."):
			better += " (the peer is better)"
		case better != "—" && better != "=":
			better += " better"
		}
		if r.peer == "" && c.target != "" {
			better = "target " + c.target
		}
		if r.unit == "allocs/op" || r.unit == "upstream-reqs/op" {
			better = "target " + c.target
		}
		p("| %s | %s | %s | %s |\n", c.label, c.az, peer, better)
	}
	p("\n")

	p("## Results\n\n")
	p("| Measurement | azmsi | Peer | Peer value | Ratio | Target | |\n|---|---:|---|---:|---:|---|---|\n")
	for _, r := range rows {
		c := r.cell(res)
		peerName := c.peerName
		if peerName == "" {
			peerName = "—"
		}
		p("| %s | %s | %s | %s | %s | %s | %s |\n", c.label, c.az, peerName, c.peer, c.ratio, dash(c.target), c.met)
	}
	p("\n")

	p("## Machine\n\n%s\n", machine)
	if cmds != "" {
		p("## Commands\n\n```sh\n%s\n```\n\n", cmds)
	}
	if notes != "" {
		p("%s\n\n", notes)
	}
	if stat != "" {
		p("## benchstat\n\n`benchstat -col /impl` over the raw results (medians, 95%% confidence intervals):\n\n```\n%s\n```\n", stat)
	}
}

func shortPeer(impl string) string {
	switch impl {
	case "sdk":
		return "Azure SDK for Go"
	case "python":
		return "Python SDK"
	case "python-seed":
		return "Python seed"
	case "az":
		return "az CLI"
	case "no-broker":
		return "azmsi --no-broker"
	case "sdk8":
		return "Azure SDK for Go, 8 at a time"
	case "sdkv3":
		return "armresources/v3, 8 at a time"
	}
	return impl
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
