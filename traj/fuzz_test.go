package traj

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpen reads altered trajectories: a file that is not a valid one
// gives an error or the frames it holds, never a panic, a hang or an
// allocation its size does not justify. Seeds: a small file of counts
// and one of values, whole and cut short. (Run with -fuzzminimizetime
// 200x or so: minimizing each new input for the default minute looks
// like a stall.)
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	for i, values := range []ValueType{Counts, Floats} {
		path := filepath.Join(dir, "seed.traj")
		h := testHeader(4, 3, values)
		w, err := Create(path, h)
		if err != nil {
			f.Fatal(err)
		}
		writeFrames(f, w, h, 20+i*7, uint64(i))
		if err := w.Close(); err != nil {
			f.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)*2/3])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.traj")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := Open(path)
		if err != nil {
			return
		}
		defer r.Close()
		for s := range r.Header().Sets {
			r.Frames(s, math.Inf(-1), math.Inf(1), func(float64, []int64, []float64) error { return nil })
		}
	})
}
