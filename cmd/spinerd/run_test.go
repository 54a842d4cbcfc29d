package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/internal/testenv"
)

// TestRunCommand runs a diffusion example through the CLI: NeuroRD-layout
// files appear, the same seed gives identical files for 1 and 4 workers,
// and bad flags exit with 2 writing nothing.
func TestRunCommand(t *testing.T) {
	model := filepath.Join(testenv.Testdata(t), "models", "neurord-examples", "Model_mglur_diff.xml")
	dir := t.TempDir()
	var first []byte
	for _, w := range []string{"1", "4"} {
		base := filepath.Join(dir, "w"+w)
		code, _, errs := runCmd("run", model, "--runtime", "300", "--seed", "7", "--workers", w, "--format", "neurord", "-o", base)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		for _, f := range []string{base + ".out", base + "-mesh.txt.out", base + "-all-conc.txt.out"} {
			if _, err := os.Stat(f); err != nil {
				t.Errorf("missing %s", f)
			}
		}
		if !strings.Contains(errs, "seed 7") {
			t.Errorf("summary does not give the seed:\n%s", errs)
		}
		data, _ := os.ReadFile(base + ".out")
		if !strings.HasPrefix(string(data), "cctdif2d\nvolumeGrid 9\n") || strings.Count(string(data), "gridConcentrations") != 3 { // 0, 200 and the end, 300 ms
			t.Errorf("unexpected main output:\n%.300s", data)
		}
		if first == nil {
			first = data
		} else if string(first) != string(data) {
			t.Error("--workers changed the output")
		}
		// the file's mesh (9 voxels) is too small for domains: it runs
		// as one block, and says so
		if note := strings.Contains(errs, "ran as one block on one core"); note != (w != "1") {
			t.Errorf("--workers %s: note that the method runs on one core: %v\n%s", w, note, errs)
		}
	}
	for _, args := range [][]string{
		{"run", model, "--method", "magic", "-o", filepath.Join(dir, "bad")},
		{"run", model, "--tolerance", "2", "-o", filepath.Join(dir, "bad")},
		{"run", model, "--runtime", "-5", "-o", filepath.Join(dir, "bad")},
		{"run", model, "-o", filepath.Join(dir, "no", "such", "dir", "x")},
		{"run", "--method", "magic", "-o", filepath.Join(dir, "bad")}, // the default model with a bad flag
	} {
		if code, _, _ := runCmd(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args[1:], code)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "bad*")); len(m) > 0 {
		t.Errorf("failed runs left %v", m)
	}
}
