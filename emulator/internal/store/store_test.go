package store

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const sub1 = "00000000-0000-0000-0000-000000000001"

// TestStores runs the same contract against both implementations.
func TestStores(t *testing.T) {
	impls := map[string]func(t *testing.T) Store{
		"memory": func(t *testing.T) Store { return NewMem() },
		"bbolt": func(t *testing.T) Store {
			b, err := OpenBolt(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
	}
	for name, open := range impls {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			defer st.Close()
			groups, seeded, err := st.Load()
			if err != nil || seeded || len(groups) != 0 {
				t.Fatalf("fresh store: %v %v %v", groups, seeded, err)
			}
			if err := st.Replace([]Group{{SubscriptionID: sub1, Name: "A", Location: "eastus"}}); err != nil {
				t.Fatal(err)
			}
			del := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			must(t, st.Put(Group{SubscriptionID: sub1, Name: "b", Location: "westus", Tags: map[string]string{"k": "v"}, DeleteAt: del}))
			must(t, st.Put(Group{SubscriptionID: sub1, Name: "a", Location: "eastus", ManagedBy: "m", Created: true})) // same key as "A"
			must(t, st.Delete(sub1, "missing"))
			groups, seeded, err = st.Load()
			if err != nil || !seeded || len(groups) != 2 {
				t.Fatalf("after writes: %+v %v %v", groups, seeded, err)
			}
			byName := map[string]Group{}
			for _, g := range groups {
				byName[strings.ToLower(g.Name)] = g
			}
			if byName["a"].ManagedBy != "m" || !byName["a"].Created || byName["b"].Created || byName["b"].Tags["k"] != "v" || !byName["b"].DeleteAt.Equal(del) {
				t.Errorf("round trip: %+v", groups)
			}
			must(t, st.Delete(strings.ToUpper(sub1), "B"))
			must(t, st.Replace(nil))
			if groups, seeded, _ := st.Load(); len(groups) != 0 || !seeded {
				t.Errorf("emptied store must stay seeded: %v %v", groups, seeded)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestBoltStoreLockedByAnother(t *testing.T) {
	dir := t.TempDir()
	a, err := OpenBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := OpenBolt(dir); err == nil || !strings.Contains(err.Error(), "locked by another emulator") {
		t.Errorf("second open: %v", err)
	}
}

const killHelperEnv = "AZMSI_ARM_STORE_KILL_HELPER"

// TestBoltStoreSurvivesSIGKILL writes groups from a child process, which
// prints "ack N" only after Put returned; the parent kills it with SIGKILL
// mid-stream and checks every acknowledged group is in the file.
func TestBoltStoreSurvivesSIGKILL(t *testing.T) {
	if dir := os.Getenv(killHelperEnv); dir != "" {
		st, err := OpenBolt(dir)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		for i := 0; ; i++ {
			if err := st.Put(Group{SubscriptionID: sub1, Name: fmt.Sprintf("g%06d", i), Location: "eastus"}); err != nil {
				fmt.Println("error", err)
				os.Exit(1)
			}
			fmt.Printf("ack %d\n", i)
		}
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBoltStoreSurvivesSIGKILL$")
	cmd.Env = append(os.Environ(), killHelperEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	last := -1
	for sc.Scan() {
		line := sc.Text()
		if n, ok := strings.CutPrefix(line, "ack "); ok {
			last, _ = strconv.Atoi(n)
			if last >= 40 {
				break
			}
		} else if strings.HasPrefix(line, "error") {
			t.Fatal(line)
		}
	}
	must(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
	if last < 40 {
		t.Fatalf("child acknowledged only %d writes", last)
	}
	st, err := OpenBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	groups, _, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, g := range groups {
		have[g.Name] = true
	}
	for i := 0; i <= last; i++ {
		if !have[fmt.Sprintf("g%06d", i)] {
			t.Errorf("acknowledged write g%06d lost after SIGKILL", i)
		}
	}
}
