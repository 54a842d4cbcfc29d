//go:build h5tools

package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/internal/h5check"
	"github.com/spinerd/spinerd/internal/testenv"
)

// These tests need h5dump and h5py (apt-get install hdf5-tools
// python3-h5py) and ../shared (NeuroRD's HDF5 fixtures); run them with
// -tags h5tools. They check the HDF5 files the commands write, end to end.

// TestH5CommandsMatchNeuroRD: `spinerd run --format h5` of Model_HFS1 and
// the two stochdiff examples, and the 3-trial Model_rest file gathered by
// `spinerd merge --format h5` from `spinerd ensemble --format h5 --seeds
// 1-3`, have the structure of NeuroRD's files of the same models.
func TestH5CommandsMatchNeuroRD(t *testing.T) {
	sh := testenv.Shared(t)
	fix := filepath.Join(sh, "reference", "neurord-3.3-h5")
	ref := filepath.Join(sh, "reference", "neurord-3.3")
	mm := filepath.Join(sh, "models", "maki-marttunen-2020")
	dir := t.TempDir()
	for _, c := range []struct{ model, fixture, runtime string }{
		{filepath.Join(mm, "Model_HFS1.xml"), "Model_HFS1.h5", "300"},
		{filepath.Join(ref, "ex_mglur_diff", "inputs", "Model_mglur_diff_seed1.xml"), "Model_mglur_diff_seed1.h5", "300"},
		{filepath.Join(ref, "ex_mglur_spine-CaY", "inputs", "Model_mglur_spine-CaY_seed1.xml"), "Model_mglur_spine-CaY_seed1.h5", "30"},
	} {
		t.Run(c.fixture, func(t *testing.T) {
			out := filepath.Join(dir, c.fixture)
			mustRun(t, "run", c.model, "--format", "h5", "--seed", "1", "--runtime", c.runtime, "-q", "-o", out)
			h5check.SameStructure(t, filepath.Join(fix, c.fixture), out)
		})
	}
	t.Run("Model_rest.h5", func(t *testing.T) {
		ens := filepath.Join(dir, "rest")
		mustRun(t, "ensemble", filepath.Join(mm, "Model_rest.xml"), "--seeds", "1-3", "--format", "h5", "--runtime", "500", "-q", "-o", ens)
		out := filepath.Join(dir, "rest.h5")
		mustRun(t, "merge", ens, "--format", "h5", "-q", "-o", out)
		h5check.SameStructure(t, filepath.Join(fix, "Model_rest.h5"), out)
		// The per-seed files are single trials of the same structure.
		for s := 1; s <= 3; s++ {
			if _, err := os.Stat(filepath.Join(ens, fmt.Sprintf("seed-%d.h5", s))); err != nil {
				t.Error(err)
			}
		}
	})
}

// TestH5RoundTrip: population, times, species, elements and grid that
// h5py reads from `spinerd run --format h5` equal what spinerd computed
// (the same run as a trajectory, exported), and spinerd's own reader
// gives the same numbers.
func TestH5RoundTrip(t *testing.T) {
	model := filepath.Join(testenv.Testdata(t), "models", "neurord-examples", "Model_mglur_diff.xml")
	dir := t.TempDir()
	h5, tr := filepath.Join(dir, "r.h5"), filepath.Join(dir, "r.traj")
	mustRun(t, "run", model, "--format", "h5", "--seed", "7", "--runtime", "200", "-q", "-o", h5)
	mustRun(t, "run", model, "--seed", "7", "--runtime", "200", "-q", "-o", tr)
	want := mustRun(t, "export", tr, "--format", "csv", "--sum-voxels")
	if got := mustRun(t, "export", h5, "--format", "csv", "--sum-voxels"); got != want {
		t.Error("spinerd's reader of the .h5 gives other counts than the trajectory of the same run")
	}
	py := pyExport(t, h5, "")
	if py != want {
		t.Errorf("h5py reads other counts than spinerd computed:\n%.300s\nwant\n%.300s", py, want)
	}
	// Species, elements and grid volumes.
	script := `import h5py, json, sys
f = h5py.File(sys.argv[1], "r")
print(json.dumps({"species": [s.decode() for s in f["model/species"]],
  "elements": [int(e) for e in f["model/output/__main__/elements"]],
  "volumes": [float(r["volume"]) for r in f["model/grid"]]}))`
	out, err := exec.Command(h5check.Python, "-c", script, h5).CombinedOutput()
	if err != nil {
		t.Fatalf("h5py: %v\n%s", err, out)
	}
	var m struct {
		Species  []string
		Elements []int
		Volumes  []float64
	}
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	head := strings.SplitN(want, "\n", 2)[0]
	if len(m.Species) != 14 || len(m.Elements) != 9 || len(m.Volumes) != 9 || math.Abs(m.Volumes[0]-56.889) > 0.01 {
		t.Errorf("model: %d species, %d elements, volumes %v (header %s)", len(m.Species), len(m.Elements), m.Volumes, head)
	}
}

// pyExport prints trial 0's main population voxel-summed per species as
// spinerd's CSV export does, read by h5py.
func pyExport(t *testing.T, path, trial string) string {
	t.Helper()
	script := `import h5py, sys
f = h5py.File(sys.argv[1], "r")
tr = "trial" + (sys.argv[2] or "0")
pop = f[tr + "/output/__main__/population"][:]
times = f[tr + "/output/__main__/times"][:]
sp = [s.decode() for s in f["model/output/__main__/species"]]
print("time_ms," + ",".join(sp))
for i, t in enumerate(times):
    print(repr(float(t)).removesuffix(".0") + "," + ",".join(str(int(x)) for x in pop[i].sum(axis=0)))`
	out, err := exec.Command(h5check.Python, "-c", script, path, trial).CombinedOutput()
	if err != nil {
		t.Fatalf("h5py: %v\n%s", err, out)
	}
	return string(out)
}

// TestReadNeuroRDH5: spinerd reads NeuroRD's own HDF5 files: the export of
// Model_HFS1.h5 equals the counts h5py reads; compare reads Model_rest.h5's
// three trials as three runs; conductance of Model_HFS1.h5 is the table of
// the NeuroRD text output of the same run.
func TestReadNeuroRDH5(t *testing.T) {
	sh := testenv.Shared(t)
	fix := filepath.Join(sh, "reference", "neurord-3.3-h5")
	hfs := filepath.Join(fix, "Model_HFS1.h5")
	csvOut := mustRun(t, "export", hfs, "--format", "csv")
	if py := pyExport(t, hfs, ""); py != csvOut {
		t.Errorf("export of Model_HFS1.h5 differs from h5py's counts:\n%.200s\nwant\n%.200s", csvOut, py)
	}
	rows, _ := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if len(rows) != 1202 || len(rows[0]) != 205 {
		t.Errorf("export: %d rows of %d columns, want 1202 × 205", len(rows), len(rows[0]))
	}
	// compare: the 3 trials are 3 runs, every row printed.
	dir := t.TempDir()
	mustRun(t, "ensemble", filepath.Join(sh, "models", "maki-marttunen-2020", "Model_rest.xml"), "--seeds", "1-3", "-q", "-o", dir)
	var out, errb strings.Builder
	run([]string{"compare", filepath.Join(fix, "Model_rest.h5"), dir}, &out, &errb)
	if !strings.Contains(out.String(), "A: 3 runs; B: 3 runs") || strings.Count(out.String(), "\n") < 100 {
		t.Errorf("compare of Model_rest.h5:\n%.500s\n%s", out.String(), errb.String())
	}
	text := filepath.Join(sh, "reference", "neurord-3.3", "mm_hfs", "outputs",
		"model_tstop12000_tol0.01_onset2000.0_n100_freq100.0_dur3.0_flux1900.0_Lflux10.0_Gluflux20.0_AChflux20.0_Ntrains1_trainT4000.0_seed1.out.zst")
	if a, b := mustRun(t, "conductance", hfs), mustRun(t, "conductance", text); a != b {
		t.Error("conductance of Model_HFS1.h5 differs from that of the NeuroRD text output of the same run")
	}
	// A trial named explicitly, and --initial-state from a trial.
	mustRun(t, "export", filepath.Join(fix, "Model_rest.h5")+"#2", "--species", "Ca")
	mustRun(t, "run", filepath.Join(sh, "models", "maki-marttunen-2020", "Model_rest.xml"), "--initial-state", filepath.Join(fix, "Model_rest.h5")+"#1@10000", "--seed", "1", "-q", "-o", filepath.Join(dir, "cont.traj"))
}
