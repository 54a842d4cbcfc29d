package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/internal/testenv"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
	"github.com/spinerd/spinerd/runfile"
	"github.com/spinerd/spinerd/traj"
)

// TestSteadyCommand: spinerd steady --clamp Pip2 writes an
// InitialConditions file; a copy of Model_rest.xml that includes it in
// place of IC_singlecompartment.xml starts from that state, and a
// deterministic run from it barely moves (the resting state).
func TestSteadyCommand(t *testing.T) {
	src := filepath.Join(testenv.Testdata(t), "models", "maki-marttunen-2020")
	dir := t.TempDir()
	for _, f := range []string{"Reactions.xml", "Morphology.xml", "Model_rest.xml"} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "Model_rest.xml" {
			data = []byte(strings.Replace(string(data), "IC_singlecompartment.xml", "IC_steady.xml", 1))
		}
		os.WriteFile(filepath.Join(dir, f), data, 0o644)
	}
	ic := filepath.Join(dir, "IC_steady.xml")
	code, out, errs := runCmd("steady", filepath.Join(src, "Model_rest.xml"), "--clamp", "Pip2", "-o", ic)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, out, errs)
	}
	for _, want := range []string{"sinks excluded: PA, 2AGdegrad", "clamped: Pip2", "residual: "} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	sys, _, err := neurord.Compile(filepath.Join(dir, "Model_rest.xml"), model.Options{Method: "ode"})
	if err != nil {
		t.Fatal(err)
	}
	pip2, _ := sys.SpeciesIndex("Pip2")
	if c := sys.Initial[pip2] / sys.Omega(0); c < 24000 || c > 26000 {
		t.Errorf("Pip2 in the written state: %g nM", c)
	}
	traj := filepath.Join(dir, "rest.traj")
	code, _, errs = runCmd("run", filepath.Join(dir, "Model_rest.xml"), "--method", "ode", "--runtime", "20000", "-q", "-o", traj)
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	checkFlat(t, traj, sys, 1e-4)

	// Bad input: unknown species, unwritable output.
	if code, _, errs := runCmd("steady", filepath.Join(src, "Model_rest.xml"), "--clamp", "Pip3"); code != 2 || !strings.Contains(errs, `"Pip3"`) {
		t.Errorf("unknown clamp: exit %d, %s", code, errs)
	}
	if code, _, errs := runCmd("steady", filepath.Join(src, "Model_rest.xml"), "--clamp", "Pip2", "-o", filepath.Join(dir, "no", "ic.xml")); code != 2 || !strings.Contains(errs, "ic.xml") {
		t.Errorf("unwritable output: exit %d, %s", code, errs)
	}
}

// checkFlat checks that every species above 1 nM stays within rel of its
// initial value over a deterministic trajectory.
func checkFlat(t *testing.T, path string, sys *model.System, rel float64) {
	t.Helper()
	r, err := traj.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Header().Values != traj.Floats {
		t.Errorf("ode trajectory holds %s", r.Header().Values)
	}
	om := sys.Omega(0)
	for s, sp := range sys.Species {
		x0 := sys.Initial[s] / om
		if x0 <= 1 || sp.ID == "PA" || sp.ID == "2AGdegrad" {
			continue
		}
		_, vals, err := runfile.Series(r, 0, s, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if math.Abs(v/om-x0) > rel*x0 {
				t.Errorf("%s moved from %g to %g nM", sp.ID, x0, v/om)
				break
			}
		}
	}
}
