package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/internal/testenv"
)

// TestBadNumbersRefused: numeric flags outside what they mean (NaN, a
// negative count or tolerance, a probability above one) exit 2 naming
// the value, before anything is computed or written; they once ran a
// fit on NaN indices, compared nothing against a NaN threshold, or
// integrated a steady state for 1e12 ms towards a NaN residual.
func TestBadNumbersRefused(t *testing.T) {
	model := filepath.Join(testenv.Testdata(t), "models", "neurord-examples", "Model_mglur_diff.xml")
	dir := t.TempDir()
	fitDir := filepath.Join(dir, "fit")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", "a.traj", "b.traj", "--max-z", "NaN"}, "--max-z: NaN"},
		{[]string{"compare", "a.traj", "b.traj", "--max-z", "-1"}, "--max-z: -1"},
		{[]string{"compare", "a.traj", "b.traj", "--min-mean", "-Inf"}, "--min-mean: -Inf"},
		{[]string{"steady", model, "--residual", "NaN"}, "--residual: NaN"},
		{[]string{"steady", model, "--residual", "-1"}, "--residual: -1"},
		{[]string{"ensemble", model, "--seeds", "1-2", "--shards", "-1", "-o", filepath.Join(dir, "e")}, "--shards -1: must be at least 0"},
		{[]string{"run", model, "--method", "ode", "--max-steps", "-1", "-o", filepath.Join(dir, "r.traj")}, "--max-steps -1: must be at least 0"},
		{[]string{"evaluate", "--dataset", "VC-1", "--params", "p.json", "--max-steps", "-1"}, "--max-steps -1: must be at least 0"},
		{[]string{"fit", "--dataset", "VC-1", "--max-steps", "-5", "-o", fitDir}, "--max-steps -5: must be at least 0"},
		{[]string{"fit", "--dataset", "VC-1", "--eta-c", "NaN", "-o", fitDir}, "η_c NaN"},
		{[]string{"fit", "--dataset", "VC-1", "--eta-m", "-1", "-o", fitDir}, "η_m -1"},
		{[]string{"fit", "--dataset", "VC-1", "--p-m", "2", "-o", fitDir}, "mutation probability 2"},
		{[]string{"fit", "--dataset", "VC-1", "--timeout", "-1s", "-o", fitDir}, "--timeout -1s: must be at least 0"},
	} {
		args := c.args
		if args[0] != "evaluate" { // the one without -q
			args = append(args, "-q")
		}
		code, _, errs := runCmd(args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q (want 2 and %q)", c.args, code, errs, c.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("refused commands wrote %v", entries)
	}
}
