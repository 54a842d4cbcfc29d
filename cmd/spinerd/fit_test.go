package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/fit"
)

// TestFitCommand: a small fit of VC-1 writes its files, every member of
// the front is reproduced exactly by spinerd evaluate, --resume of a
// finished run changes nothing, and `spinerd plot DIR` draws the traces.
// (The acceptance size, --population 16 --generations 2, runs in the
// long tests.)
func TestFitCommand(t *testing.T) {
	testFit(t, "2")
}

func testFit(t *testing.T, population string) {
	dir := t.TempDir()
	out := filepath.Join(dir, "fit")
	code, _, errs := runCmd("fit", "--dataset", "VC-1", "--population", population, "--generations", "2", "--seed", "3", "-q", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var front []fit.Row
	data, err := os.ReadFile(filepath.Join(out, fit.FrontName))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &front); err != nil || len(front) == 0 {
		t.Fatalf("front: %v (%d rows)", err, len(front))
	}
	for i, r := range front {
		pf := filepath.Join(dir, "p.json")
		b, _ := json.Marshal(r.Params)
		os.WriteFile(pf, b, 0o644)
		code, res, errs := runCmd("evaluate", "--dataset", "VC-1", "--params", pf)
		if code != 0 {
			t.Fatalf("evaluate: %s", errs)
		}
		var got struct{ Objectives []float64 }
		json.Unmarshal([]byte(res), &got)
		if !slices.Equal(got.Objectives, r.Objectives) {
			t.Errorf("front member %d: evaluate gives %v, the fit %v", i, got.Objectives, r.Objectives)
		}
	}
	before, _ := os.ReadFile(filepath.Join(out, fit.PopulationName))
	if code, _, errs := runCmd("fit", "--dataset", "VC-1", "--population", population, "--generations", "2", "--seed", "3", "-q", "-o", out, "--resume"); code != 0 {
		t.Fatalf("resume: %s", errs)
	}
	after, _ := os.ReadFile(filepath.Join(out, fit.PopulationName))
	if string(before) != string(after) {
		t.Error("resuming a finished fit changed its population")
	}
	if code, _, errs := runCmd("fit", "--dataset", "VC-1", "--population", population, "--generations", "2", "--seed", "4", "-q", "-o", out, "--resume"); code != 2 || !strings.Contains(errs, "seed") {
		t.Errorf("resume with another seed: exit %d %q", code, errs)
	}
	if code, _, errs := runCmd("plot", out, "-o", filepath.Join(dir, "fit.png")); code != 0 {
		t.Errorf("plot: %s", errs)
	}
	for _, args := range [][]string{
		{"fit"},
		{"fit", "--dataset", "XX"},
		{"fit", "--dataset", "VC-1", "--population", "3"},
		{"fit", "--dataset", "VC-1", "--variation", "ga"},
	} {
		if code, _, errs := runCmd(args...); code != 2 || errs == "" {
			t.Errorf("%v: exit %d %q", args, code, errs)
		}
	}
}
