//go:build long

package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/internal/testenv"
)

// TestConductanceOfNeuroRDOutput: NeuroRD's own HFS output gives a
// conductance of the same order as spinerd's (tens of pS).
func TestConductanceOfNeuroRDOutput(t *testing.T) {
	path := filepath.Join(testenv.Shared(t), "reference", "neurord-3.3", "mm_hfs", "outputs", "Model_HFS1_seed10.out.zst")
	code, table, errs := runCmd("conductance", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(table), "\n")
	g, _ := strconv.ParseFloat(strings.Split(lines[len(lines)-1], "\t")[1], 64)
	if len(lines) < 100 || g < 10 || g > 200 {
		t.Errorf("%d rows, final g %g pS", len(lines), g)
	}
}

// TestCompareCommand: NeuroRD's own HFS runs split in two (seeds 9–16 and
// 17–24) agree; HFS and rest differ after the train.
func TestCompareCommand(t *testing.T) {
	ref := filepath.Join(testenv.Shared(t), "reference", "neurord-3.3")
	var a, b []string
	for s := 9; s <= 16; s++ {
		a = append(a, filepath.Join(ref, "mm_hfs", "outputs", fmt.Sprintf("Model_HFS1_seed%d.out.zst", s)))
		b = append(b, filepath.Join(ref, "mm_hfs", "outputs", fmt.Sprintf("Model_HFS1_seed%d.out.zst", s+8)))
	}
	code, out, errs := runCmd("compare", strings.Join(a, ","), strings.Join(b, ","))
	if code != 0 {
		t.Fatalf("same model: exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "A: 8 runs; B: 8 runs;") {
		t.Errorf("summary missing:\n%s", out)
	}
	rest := filepath.Join(ref, "mm_nostim", "outputs", "Model_rest_seed*.out.zst")
	code, out, _ = runCmd("compare", strings.Join(a, ","), rest, "--times", "2500,4000,6000,8000,10000,12000", "-q")
	if code != 1 {
		t.Errorf("HFS vs rest: exit %d, want 1\n%s", code, out)
	}
	if code, _, _ := runCmd("compare", "no-such-*.traj", rest); code != 2 {
		t.Errorf("missing files: exit %d, want 2", code)
	}
}
