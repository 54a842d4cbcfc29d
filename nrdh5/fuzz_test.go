package nrdh5

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func FuzzOpen(f *testing.F) {
	path := filepath.Join(f.TempDir(), "seed.h5")
	w, err := Create(path, desc(Counts))
	if err != nil {
		f.Fatal(err)
	}
	tr, _ := w.BeginTrial(0, 1)
	for k := 0; k < 20; k++ {
		tr.Counts(0, float64(k), []int64{1, 2, 3, 4, 5, int64(k)})
		tr.Counts(1, float64(k), []int64{int64(k), 9})
	}
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), "fuzz")
		if err != nil {
			return
		}
		for ti, tr := range r.Trials {
			for s, set := range tr.Sets {
				if r.Load(ti, s) == nil && set.Frames() > 0 {
					st := &r.Trials[ti].Sets[s]
					st.At(st.Frames()-1, len(st.Elements)-1, len(st.Species)-1)
				}
				r.Frame(ti, s, 0)
			}
		}
	})
}
