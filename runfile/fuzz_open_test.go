package runfile_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/spinerd/spinerd/internal/testmodel"
	"github.com/spinerd/spinerd/nrdh5"
	"github.com/spinerd/spinerd/output"
	"github.com/spinerd/spinerd/runfile"
)

// FuzzOpen opens altered run files of every kind (trajectory, NeuroRD
// HDF5 and text, CSV export): an error, or a run whose output sets name
// only species and voxels its header has and whose frames hold a value
// for each of them, which is what every reader of a run indexes by. Never
// a panic or a hang.
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	src := testmodel.SyntheticTrajectory(f, dir, "s.traj", nil)
	r, err := runfile.Open(src)
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range []struct{ format, path string }{
		{"neurord", filepath.Join(dir, "n")}, {"csv", filepath.Join(dir, "v.csv")},
	} {
		fm, _ := output.FormatByName(c.format)
		names, err := fm.Export(r, output.Selection{}, c.path, nil)
		if err != nil {
			f.Fatal(err)
		}
		b, _ := os.ReadFile(names[0])
		f.Add(b)
	}
	r.Close()
	for _, p := range []string{src, h5Seed(f, dir)} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.run")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := runfile.Open(path)
		if err != nil {
			return
		}
		defer r.Close()
		h := r.Header()
		for si, s := range h.Sets {
			for _, sp := range s.Species {
				if sp < 0 || sp >= len(h.Species) {
					t.Fatalf("set %d names species %d of %d", si, sp, len(h.Species))
				}
			}
			for _, v := range s.Voxels {
				if v < 0 || v >= len(h.Voxels) {
					t.Fatalf("set %d names voxel %d of %d", si, v, len(h.Voxels))
				}
			}
			want := len(s.Species) * len(s.Voxels)
			r.Frames(si, math.Inf(-1), math.Inf(1), func(_ float64, c []int64, v []float64) error {
				if n := max(len(c), len(v)); n != want {
					t.Fatalf("set %d: a frame of %d values, want %d", si, n, want)
				}
				return nil
			})
		}
	})
}

// h5Seed writes a two-voxel NeuroRD HDF5 file of one trial.
func h5Seed(t testing.TB, dir string) string {
	path := filepath.Join(dir, "seed.h5")
	d := &nrdh5.Description{
		Species: []string{"A", "B"},
		Regions: []string{"default", "dend"},
		Grid: []nrdh5.Voxel{
			{Corners: [4][3]float64{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0.5}}, VolumeUm3: 0.5, DeltaZUm: 0.5, Label: "element0", RegionName: "dend", Region: 1, Type: "cytosol"},
			{Corners: [4][3]float64{{1, 0, 0}, {2, 0, 0}, {2, 1, 0}, {1, 1, 0.5}}, VolumeUm3: 0.5, DeltaZUm: 0.5, Label: "element1", RegionName: "dend", Region: 1, Type: "cytosol"},
		},
		Neighbors:        [][]int{{1}, {0}},
		Couplings:        [][]float64{{0.5}, {0.5}},
		Outputs:          []nrdh5.OutputSet{{Name: "__main__", Species: []int{0, 1}, Elements: []int{0, 1}}, {Name: "b", Species: []int{1}, Elements: []int{1}}},
		SerializedConfig: "<SDRun/>",
		Values:           nrdh5.Counts,
	}
	w, err := nrdh5.Create(path, d)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := w.BeginTrial(0, 1)
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 5; k++ {
		tr.Counts(0, float64(k), []int64{1, 2, int64(k), 4})
		tr.Counts(1, float64(k), []int64{int64(k)})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
