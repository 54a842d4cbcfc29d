//go:build long

package traj_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/spinerd/spinerd/internal/testenv"
	"github.com/spinerd/spinerd/neurord"
	"github.com/spinerd/spinerd/traj"
)

// gzip6 compresses data like `gzip -6` (the gzip program when present,
// Go's compress/gzip at level 6 otherwise).
func gzip6(t *testing.T, data []byte) int {
	if path, err := exec.LookPath("gzip"); err == nil {
		cmd := exec.Command(path, "-6", "-c")
		cmd.Stdin = bytes.NewReader(data)
		out, err := cmd.Output()
		if err == nil {
			return len(out)
		}
	}
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, 6)
	w.Write(data)
	w.Close()
	return b.Len()
}

// TestSizeAgainstNeuroRDText stores the samples of a NeuroRD run of
// Model_HFS1.xml (12 s every 10 ms, 204 species; reference seed 9) in a
// trajectory: it must be at least 20 times smaller than NeuroRD's .out
// text and no larger than that text compressed with gzip -6.
func TestSizeAgainstNeuroRDText(t *testing.T) {
	ref := filepath.Join(testenv.Shared(t), "reference", "neurord-3.3", "mm_hfs", "outputs", "Model_HFS1_seed9.out.zst")
	f, err := os.Open(ref)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, _ := zstd.NewReader(f)
	defer zr.Close()
	text, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	or, err := neurord.NewOutReader(bytes.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	var frames []*neurord.Frame
	for {
		fr, err := or.Next()
		if err != nil {
			break
		}
		frames = append(frames, fr)
	}
	if len(frames) != 1201 {
		t.Fatalf("%d frames in the reference", len(frames))
	}
	h := &traj.Header{SpinerdVersion: "test", Method: "adaptive", Values: traj.Counts,
		Voxels: []traj.Voxel{{VolumeUm3: 0.5, Region: "dendrite"}}}
	set := traj.Set{Name: "__main__", Voxels: []int{0}, IntervalMs: 10}
	for i, id := range frames[0].Species {
		h.Species = append(h.Species, traj.Species{ID: id})
		set.Species = append(set.Species, i)
	}
	h.Sets = []traj.Set{set}
	path := filepath.Join(t.TempDir(), "hfs.traj")
	w, err := traj.Create(path, h)
	if err != nil {
		t.Fatal(err)
	}
	for _, fr := range frames {
		if err := w.Counts(0, fr.TimeMs, fr.Counts[0]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	gz := gzip6(t, text)
	t.Logf("NeuroRD text %d bytes, gzip -6 %d bytes, trajectory %d bytes (%.1f× smaller than the text)", len(text), gz, st.Size(), float64(len(text))/float64(st.Size()))
	if st.Size()*20 > int64(len(text)) {
		t.Errorf("trajectory %d bytes is not 20× smaller than the text (%d bytes)", st.Size(), len(text))
	}
	if st.Size() > int64(gz) {
		t.Errorf("trajectory %d bytes is larger than gzip -6 of the text (%d bytes)", st.Size(), gz)
	}
	// and it reads back to the same counts
	r, err := traj.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	i := 0
	r.Frames(0, -1, 1e9, func(tm float64, c []int64, _ []float64) error {
		for s, v := range c {
			if v != frames[i].Counts[0][s] || tm != frames[i].TimeMs {
				t.Fatalf("frame %d differs", i)
			}
		}
		i++
		return nil
	})
}
