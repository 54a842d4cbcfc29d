package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/internal/testenv"
)

// TestCompareCommandRuns: two ensembles of spinerd runs of one model
// (Model_mglur_diff, 300 ms, seeds 1–4 and 5–8) agree; --max-z 0 turns any
// difference into exit 1; missing files exit 2. (TestCompareCommand, with
// -tags long, compares NeuroRD's own runs.)
func TestCompareCommandRuns(t *testing.T) {
	model := filepath.Join(testenv.Testdata(t), "models", "neurord-examples", "Model_mglur_diff.xml")
	dir := t.TempDir()
	var a, b []string
	for s := 1; s <= 8; s++ {
		path := filepath.Join(dir, fmt.Sprintf("seed%d.traj", s))
		if code, _, errs := runCmd("run", model, "--runtime", "300", "--seed", fmt.Sprint(s), "-o", path, "-q"); code != 0 {
			t.Fatalf("run: exit %d: %s", code, errs)
		}
		if s <= 4 {
			a = append(a, path)
		} else {
			b = append(b, path)
		}
	}
	code, out, errs := runCmd("compare", strings.Join(a, ","), strings.Join(b, ","))
	if code != 0 {
		t.Fatalf("same model: exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "A: 4 runs; B: 4 runs;") {
		t.Errorf("summary missing:\n%s", out)
	}
	if code, out, _ := runCmd("compare", strings.Join(a, ","), strings.Join(b, ","), "--max-z", "0", "-q"); code != 1 {
		t.Errorf("--max-z 0: exit %d, want 1\n%s", code, out)
	}
	if code, _, _ := runCmd("compare", filepath.Join(dir, "no-such-*.traj"), strings.Join(b, ",")); code != 2 {
		t.Errorf("missing files: exit %d, want 2", code)
	}
}
