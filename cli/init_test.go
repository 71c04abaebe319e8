package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// initChild makes this test binary a `kycdesk version` process for
// TestInitLeavesTablesForFirstUse (a fresh process: init runs once).
const initChild = "KYCDESK_TEST_INIT_CHILD"

// TestInitLeavesTablesForFirstUse runs `version` in a fresh process with
// GODEBUG=inittrace=1 and checks that package initialization builds no heavy
// table (phone-number metadata, its patterns, language display names, our
// own templates and patterns): they are built when first needed. It checks
// bytes allocated, which do not depend on the machine's load, and logs the
// init time (scripts/inittrace.sh compares it with a hello world).
func TestInitLeavesTablesForFirstUse(t *testing.T) {
	if os.Getenv(initChild) == "1" {
		return // in the child, TestInitChild does the work
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestInitChild$")
	cmd.Env = append(os.Environ(), initChild+"=1", "GODEBUG=inittrace=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v\n%s", err, stderr.String())
	}
	var total float64
	perPkg := map[string]int{}
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		// init PKG @T ms, C ms clock, B bytes, A allocs
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[0] != "init" {
			continue
		}
		ms, _ := strconv.ParseFloat(f[4], 64)
		b, _ := strconv.Atoi(f[7])
		total += ms
		perPkg[f[1]] = b
	}
	if len(perPkg) == 0 {
		t.Fatalf("no inittrace lines from the child:\n%s", stderr.String())
	}
	t.Logf("package init of this test binary: %.2f ms over %d packages", total, len(perPkg))
	if b, ok := perPkg["github.com/nyaruka/phonenumbers"]; !ok || b > 64<<10 {
		t.Errorf("phonenumbers init allocated %d bytes (present %v): its metadata should load on first use", b, ok)
	}
	if _, ok := perPkg["golang.org/x/text/language/display"]; ok {
		t.Errorf("golang.org/x/text/language/display is linked: its init builds a language matcher every process pays for")
	}
	if _, ok := perPkg["github.com/prometheus/client_golang/prometheus"]; ok {
		t.Errorf("client_golang is linked: its init (default registry, procfs patterns) costs every process about 0.6 ms; /metrics uses internal/promtext")
	}
	// Patched copies in third_party/ (README.kycdesk.md in each) do their
	// work at first use: their init allocates nothing worth the name.
	for pkg, most := range map[string]int{"github.com/atotto/clipboard": 1 << 10, "github.com/charmbracelet/bubbletea": 32 << 10,
		"github.com/BurntSushi/toml/internal": 1 << 10, "github.com/dustin/go-humanize": 8 << 10,
		"github.com/charmbracelet/x/ansi/parser": 1 << 10} {
		if b, ok := perPkg[pkg]; ok && b > most {
			t.Errorf("%s init allocated %d bytes: its patched copy in third_party/ should do that work at first use", pkg, b)
		}
	}
	for pkg, b := range perPkg {
		// cli is left out: in this binary its init includes its tests' own variables.
		if strings.HasPrefix(pkg, "github.com/kycdesk/kycdesk/") && pkg != "github.com/kycdesk/kycdesk/cli" && b > 16<<10 {
			t.Errorf("%s init allocated %d bytes: build its tables, templates and patterns when first used", pkg, b)
		}
	}
	var during uint64
	if _, err := fmt.Sscanf(stdout.String(), "version-allocated %d", &during); err != nil {
		t.Fatalf("child output %q: %v", stdout.String(), err)
	}
	if during > 1<<20 {
		t.Errorf("`version` allocated %d bytes: something loads a heavy table (phone-number metadata is 2.5 MB) it does not need", during)
	}
}

// TestInitChild is the child's body; it does nothing in a normal run.
func TestInitChild(t *testing.T) {
	if os.Getenv(initChild) != "1" {
		t.Skip("run by TestInitLeavesTablesForFirstUse")
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	ios, _, out, _ := Test()
	code := Main([]string{"version"}, ios)
	runtime.ReadMemStats(&after)
	if code != 0 || !strings.HasPrefix(out.String(), "kycdesk ") {
		fmt.Fprintf(os.Stderr, "version: exit %d, %q\n", code, out.String())
		os.Exit(1)
	}
	fmt.Printf("version-allocated %d\n", after.TotalAlloc-before.TotalAlloc)
	os.Exit(0)
}
