package runfile_test

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/spinerd/spinerd/internal/testmodel"
	"github.com/spinerd/spinerd/output"
	"github.com/spinerd/spinerd/runfile"
)

// synthetic writes the test trajectory (testmodel.SyntheticTrajectory);
// with extra it is an ensemble summary.
func synthetic(t *testing.T, dir string, extra map[string]string) string {
	name := "s.traj"
	if extra != nil {
		name = "summary.traj"
	}
	return testmodel.SyntheticTrajectory(t, dir, name, extra)
}

// sums reads the voxel sums of set 0 of a run file.
func sums(t *testing.T, path string) (ids []string, times []float64, rows [][]float64) {
	t.Helper()
	r, err := runfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ids = runfile.SetSpecies(r.Header(), 0)
	err = runfile.Sums(r, 0, math.Inf(-1), math.Inf(1), func(tm float64, s []float64) error {
		times = append(times, tm)
		rows = append(rows, slices.Clone(s))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids, times, rows
}

// TestEveryKindReadsTheSameRun: a trajectory, its NeuroRD text export and
// its CSV and TSV exports (per voxel and voxel-summed) open as runs with
// the same species, times and voxel sums; the NeuroRD export gets its
// volumes from the mesh file beside it.
func TestEveryKindReadsTheSameRun(t *testing.T) {
	dir := t.TempDir()
	src := synthetic(t, dir, nil)
	wantIDs, wantT, wantRows := sums(t, src)
	if !slices.Equal(wantIDs, []string{"A", "B"}) || len(wantT) != 3 || wantRows[2][1] != 3*100+30+3*2 {
		t.Fatalf("trajectory: %v %v %v", wantIDs, wantT, wantRows)
	}
	r, err := runfile.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, c := range []struct {
		format, path string
		sum          bool
		kind         runfile.Kind
	}{
		{"neurord", filepath.Join(dir, "n"), false, runfile.NeuroRDText},
		{"csv", filepath.Join(dir, "v.csv"), false, runfile.Table},
		{"csv", filepath.Join(dir, "s.csv"), true, runfile.Table},
		{"tsv", filepath.Join(dir, "v.tsv"), false, runfile.Table},
		{"traj", filepath.Join(dir, "copy.traj"), false, runfile.Trajectory},
	} {
		f, err := output.FormatByName(c.format)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Export(r, output.Selection{Sum: c.sum}, c.path, nil); err != nil {
			t.Fatalf("%s: %v", c.format, err)
		}
		p := c.path
		if c.format == "neurord" {
			p += ".out"
		}
		if k, err := runfile.Sniff(p); err != nil || k != c.kind {
			t.Errorf("%s: sniffed %q, %v; want %q", p, k, err, c.kind)
		}
		ids, ts, rows := sums(t, p)
		if !slices.Equal(ids, wantIDs) || !slices.Equal(ts, wantT) {
			t.Errorf("%s: species %v times %v, want %v %v", p, ids, ts, wantIDs, wantT)
		}
		for i := range rows {
			if !slices.Equal(rows[i], wantRows[i]) {
				t.Errorf("%s: frame %d sums %v, want %v", p, i, rows[i], wantRows[i])
			}
		}
		if c.format == "neurord" {
			nr, err := runfile.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			if v := nr.Header().Voxels[2].VolumeUm3; v != 3 {
				t.Errorf("NeuroRD export: voxel 2 volume %g from the mesh file, want 3", v)
			}
			nr.Close()
		}
	}
}

// TestExpand: a directory contributes its runs, not an ensemble summary or
// NeuroRD's mesh and output-set files; globs are sorted; a missing file is
// an error naming it.
func TestExpand(t *testing.T) {
	dir := t.TempDir()
	synthetic(t, dir, nil)
	synthetic(t, dir, map[string]string{"stats": "mean,sd"})
	for _, n := range []string{"x.out", "x-mesh.txt.out", "x-all-conc.txt.out"} {
		os.WriteFile(filepath.Join(dir, n), []byte("cctdif2d\n"), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("time is short\n"), 0o644)
	got, err := runfile.Expand(dir)
	want := []string{filepath.Join(dir, "s.traj"), filepath.Join(dir, "x.out")}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("Expand(dir) = %v, %v; want %v", got, err, want)
	}
	if got, err := runfile.Expand(filepath.Join(dir, "*.traj")); err != nil || len(got) != 2 {
		t.Errorf("glob: %v, %v", got, err)
	}
	if _, err := runfile.Expand(filepath.Join(dir, "nope.traj")); err == nil {
		t.Error("a missing file was accepted")
	}
	if _, err := runfile.Sniff(filepath.Join(dir, "notes.txt")); err == nil {
		t.Error("a text file was taken for a run")
	}
}

// TestTruncatedNeuroRD: a NeuroRD .out cut inside a block reads up to the
// block before and says so.
func TestTruncatedNeuroRD(t *testing.T) {
	dir := t.TempDir()
	r, err := runfile.Open(synthetic(t, dir, nil))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := output.FormatByName("neurord")
	if _, err := f.Export(r, output.Selection{}, filepath.Join(dir, "n"), nil); err != nil {
		t.Fatal(err)
	}
	r.Close()
	data, _ := os.ReadFile(filepath.Join(dir, "n.out"))
	cut := filepath.Join(dir, "cut.out")
	os.WriteFile(cut, data[:len(data)-10], 0o644)
	nr, err := runfile.Open(cut)
	if err != nil {
		t.Fatal(err)
	}
	defer nr.Close()
	ts, err := runfile.Times(nr, 0)
	if err != nil || len(ts) != 2 {
		t.Errorf("read %v, %v; want the 2 complete frames", ts, err)
	}
	if cutShort, msg := nr.Truncated(); !cutShort || msg == "" {
		t.Error("the cut was not reported")
	}
}
