package emulator

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

// TestStores runs the same contract against both implementations.
func TestStores(t *testing.T) {
	impls := map[string]func(t *testing.T) armStore{
		"memory": func(t *testing.T) armStore { return newMemStore() },
		"bbolt": func(t *testing.T) armStore {
			b, err := openBoltStore(t.TempDir())
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
			if err := st.Replace([]storedGroup{{SubscriptionID: sub1, Name: "A", Location: "eastus"}}); err != nil {
				t.Fatal(err)
			}
			del := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			must(t, st.Put(storedGroup{SubscriptionID: sub1, Name: "b", Location: "westus", Tags: map[string]string{"k": "v"}, DeleteAt: del}))
			must(t, st.Put(storedGroup{SubscriptionID: sub1, Name: "a", Location: "eastus", ManagedBy: "m"})) // same key as "A"
			must(t, st.Delete(sub1, "missing"))
			groups, seeded, err = st.Load()
			if err != nil || !seeded || len(groups) != 2 {
				t.Fatalf("after writes: %+v %v %v", groups, seeded, err)
			}
			byName := map[string]storedGroup{}
			for _, g := range groups {
				byName[strings.ToLower(g.Name)] = g
			}
			if byName["a"].ManagedBy != "m" || byName["b"].Tags["k"] != "v" || !byName["b"].DeleteAt.Equal(del) {
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
	a, err := openBoltStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := openBoltStore(dir); err == nil || !strings.Contains(err.Error(), "locked by another emulator") {
		t.Errorf("second open: %v", err)
	}
}

// TestARMPersistence: state written through ARM survives Close + Start with
// the same StateDir, including a delete in progress.
func TestARMPersistence(t *testing.T) {
	dir := t.TempDir()
	e := startARM(t, Options{StateDir: dir, DeleteDuration: 5 * time.Second})
	tok := e.token("app-contributor")
	expect(t, e.do("PUT", groupPath(sub1, "Kept"), tok, `{"location":"eastus","tags":{"a":"b"}}`), 201, "")
	expect(t, e.do("DELETE", groupPath(sub1, "rg-data"), tok, ""), 202, "")
	expect(t, e.do("DELETE", groupPath(sub1, "identities"), tok, ""), 202, "")
	e.clk.Advance(5 * time.Second)
	expect(t, e.do("GET", groupPath(sub1, "identities"), tok, ""), 404, "") // finished
	expect(t, e.do("PUT", groupPath(sub1, "rg-web"), tok, `{"location":"eastus"}`), 200, "")
	expect(t, e.do("DELETE", groupPath(sub1, "rg-web"), tok, ""), 202, "")
	now := e.clk.Now()
	must(t, e.s.Close())

	e2 := startARM(t, Options{StateDir: dir, DeleteDuration: 5 * time.Second})
	e2.clk.Advance(now.Sub(e2.clk.Now()) + time.Second) // 1 s into rg-web's delete
	tok = e2.token("app-contributor")
	r := e2.do("GET", groupPath(sub1, "kept"), tok, "")
	expect(t, r, 200, "")
	if !strings.Contains(string(r.body), `"name":"Kept"`) || !strings.Contains(string(r.body), `"tags":{"a":"b"}`) {
		t.Errorf("after restart: %s", r.body)
	}
	expect(t, e2.do("GET", groupPath(sub1, "identities"), tok, ""), 404, "ResourceGroupNotFound")
	r = e2.do("GET", groupPath(sub1, "rg-web"), tok, "")
	if !strings.Contains(string(r.body), `"provisioningState":"Deleting"`) {
		t.Errorf("delete in progress lost over restart: %s", r.body)
	}
	e2.clk.Advance(10 * time.Second)
	expect(t, e2.do("GET", groupPath(sub1, "rg-web"), tok, ""), 404, "ResourceGroupNotFound")
	expect(t, e2.do("GET", groupPath(sub1, "rg-data"), tok, ""), 404, "ResourceGroupNotFound")
	// Not re-seeded from the config: the db was seeded once.
	names, _ := e2.listAll("/subscriptions/"+sub1+"/resourcegroups?api-version="+rgV, tok, nil)
	if fmt.Sprint(names) != "[Kept]" {
		t.Errorf("groups after restart: %v", names)
	}
}

const killHelperEnv = "AZMSI_ARM_STORE_KILL_HELPER"

// TestBoltStoreSurvivesSIGKILL writes groups from a child process, which
// prints "ack N" only after Put returned; the parent kills it with SIGKILL
// mid-stream and checks every acknowledged group is in the file.
func TestBoltStoreSurvivesSIGKILL(t *testing.T) {
	if dir := os.Getenv(killHelperEnv); dir != "" {
		st, err := openBoltStore(dir)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		for i := 0; ; i++ {
			if err := st.Put(storedGroup{SubscriptionID: sub1, Name: fmt.Sprintf("g%06d", i), Location: "eastus"}); err != nil {
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
	st, err := openBoltStore(dir)
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
