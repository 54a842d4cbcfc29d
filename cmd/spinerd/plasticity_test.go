package main

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDefaultRun: `spinerd run` with no arguments runs the embedded model,
// prints the summary and writes a trajectory that `spinerd conductance`
// reads; the CSV export of it gives the same conductance, and --plot
// writes a figure.
func TestDefaultRun(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	code, out, errs := runCmd("run", "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"peak free Ca", "active CaMKII", "PKAc", "AMPA conductance", "pS"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	code, table, errs := runCmd("conductance", "spine-hfs.traj", "--baseline", "2000")
	if code != 0 || !strings.HasPrefix(table, "time_ms\tg_pS\tg_rel\n") {
		t.Fatalf("conductance: exit %d: %s\n%.200s", code, errs, table)
	}
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 1202 {
		t.Errorf("%d rows, want 1201 frames", len(lines)-1)
	}
	// The row at the baseline has g_rel 1.
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		if f[0] == "2000" && f[2] != "1" {
			t.Errorf("baseline row %q", l)
		}
	}
	if code, _, errs := runCmd("export", "spine-hfs.traj", "--format", "csv", "-o", "run.csv"); code != 0 {
		t.Fatalf("export: %s", errs)
	}
	code, table2, errs := runCmd("conductance", "run.csv", "--baseline", "2000")
	if code != 0 || table2 != table {
		t.Errorf("conductance of the CSV export differs (exit %d, %s)", code, errs)
	}
	if code, _, errs := runCmd("conductance", "spine-hfs.traj", "--plot", "g.png"); code != 0 {
		t.Fatalf("plot: %s", errs)
	}
	f, err := os.Open("g.png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Error(err)
	}
	if code, _, _ := runCmd("conductance", "nothing.traj"); code != 2 {
		t.Errorf("missing file: exit %d", code)
	}
	// A baseline before the first sample has no sample at or before it
	// (it once gave the first sample silently); +Inf is no time.
	for _, b := range []string{"-5", "+Inf"} {
		if code, _, errs := runCmd("conductance", "spine-hfs.traj", "--baseline", b); code != 2 || !strings.Contains(errs, "--baseline: "+b+" ms") {
			t.Errorf("--baseline %s: exit %d, %s", b, code, errs)
		}
	}
}

// TestEvaluateCommand prints the objectives of a regression point as JSON.
func TestEvaluateCommand(t *testing.T) {
	dir := t.TempDir()
	params := `{"Caflux": 11312.46, "Lflux": 3.17, "Gluflux": 161.0, "GluR1_ratio": 0.224, "IC_MGluRM1GqPLC": 0.0106, "IC_RGsAC1AC8": 0.814,
 "IC_CaMCK": 0.459, "IC_NCX": 1.99, "IC_PKC": 3.72, "IC_PKA": 1.55, "IC_PP1PP2B": 1.87, "IC_PDE1PDE4": 0}`
	pf := filepath.Join(dir, "p.json")
	os.WriteFile(pf, []byte(params), 0o644)
	code, out, errs := runCmd("evaluate", "--dataset", "PFC-3", "--params", pf)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r struct{ Objectives []float64 }
	if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.Objectives) != 3 {
		t.Fatalf("output %q: %v", out, err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"Caflux": 1}`), 0o644)
	for _, args := range [][]string{
		{"evaluate", "--dataset", "XX-9", "--params", pf},
		{"evaluate", "--dataset", "PFC-3", "--params", bad},
		{"evaluate", "--dataset", "PFC-3", "--params", filepath.Join(dir, "none.json")},
		{"evaluate", "--dataset", "PFC-3", "--params", pf, "--variant", "nope"},
	} {
		if code, _, errs := runCmd(args...); code != 2 || errs == "" {
			t.Errorf("%v: exit %d %q", args, code, errs)
		}
	}
}

// TestPlasticityCommand: the deterministic 4xHFS from rest potentiates,
// LFS depresses; --seeds with it is noted as changing nothing; bad flags
// exit 2.
func TestPlasticityCommand(t *testing.T) {
	code, out, errs := runCmd("plasticity", "--protocol", "4xHFS", "--method", "ode", "--seeds", "1-4")
	if code != 0 || !strings.Contains(out, "g0 =") || !strings.Contains(out, "resting state") {
		t.Fatalf("exit %d: %s\n%s", code, errs, out)
	}
	if !strings.Contains(errs, "note: the ode method is deterministic: --seeds 1-4 changes nothing") {
		t.Errorf("no note on --seeds: %s", errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := strings.Fields(lines[len(lines)-1])
	if r, _ := strconv.ParseFloat(last[2], 64); r < 2 {
		t.Errorf("4xHFS g/g0 at the end %g:\n%s", r, out)
	}
	for _, args := range [][]string{
		{"plasticity", "--protocol", "XFS"},
		{"plasticity", "--flux", "Na=3"},
		{"plasticity", "--flux", "Ca=1,Ca=2"},
		{"plasticity", "--block", "Nope=2"},
		{"plasticity", "--alter", "ks9999=0"},
		{"plasticity", "--start", "later"},
		{"plasticity", "--method", "fixed"},
	} {
		if code, _, errs := runCmd(args...); code != 2 || errs == "" {
			t.Errorf("%v: exit %d %q", args, code, errs)
		}
	}
}
