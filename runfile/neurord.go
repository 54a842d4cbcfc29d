package runfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/spinerd/spinerd/neurord"
	"github.com/spinerd/spinerd/traj"
)

func newZstd(r io.Reader) (*zstd.Decoder, error) { return zstd.NewReader(r) }

// textRun is a NeuroRD main text output. Frames rereads the file from the
// start (the text has no index).
type textRun struct {
	path      string
	h         *traj.Header
	truncated bool
	msg       string
}

// meshPath returns the O-mesh.txt.out beside the main output O.out[.zst].
func meshPath(path string) string {
	base := strings.TrimSuffix(strings.TrimSuffix(path, ".zst"), ".out")
	return base + "-mesh.txt.out"
}

func openNeuroRD(path string) (*textRun, error) {
	r := &textRun{path: path}
	h := &traj.Header{FormatVersion: traj.FormatVersion, ModelSource: path, Method: "neurord", Values: traj.Counts}
	err := r.stream(func(or *neurord.OutReader) error {
		fr, err := or.Next()
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("no output frames")
		}
		if err != nil {
			return err
		}
		for _, id := range fr.Species {
			h.Species = append(h.Species, traj.Species{ID: id})
		}
		set := traj.Set{Name: "__main__"}
		for j := range fr.Species {
			set.Species = append(set.Species, j)
		}
		for k, c := range or.Corners {
			h.Voxels = append(h.Voxels, traj.Voxel{Corners: c})
			set.Voxels = append(set.Voxels, k)
		}
		h.Sets = []traj.Set{set}
		h.StartMs = fr.TimeMs
		return nil
	})
	if err != nil {
		return nil, err
	}
	if f, err := os.Open(meshPath(path)); err == nil {
		vox, err := neurord.ReadMeshText(f)
		f.Close()
		if err == nil && len(vox) == len(h.Voxels) {
			for k := range vox {
				h.Voxels[k].VolumeUm3, h.Voxels[k].DeltaZUm = vox[k].VolumeUm3, vox[k].DeltaZUm
			}
		}
	}
	r.h = h
	return r, nil
}

// stream opens the file and calls fn with a reader past its header.
func (r *textRun) stream(fn func(*neurord.OutReader) error) error {
	f, err := os.Open(r.path)
	if err != nil {
		return unwrapPath(err)
	}
	defer f.Close()
	rd, closeZ, err := decompress(r.path, f)
	if err != nil {
		return err
	}
	defer closeZ()
	or, err := neurord.NewOutReader(rd)
	if err != nil {
		return fmt.Errorf("%s: %w", r.path, err)
	}
	if err := fn(or); err != nil {
		return fmt.Errorf("%s: %w", r.path, err)
	}
	return nil
}

func (r *textRun) Header() *traj.Header      { return r.h }
func (r *textRun) Truncated() (bool, string) { return r.truncated, r.msg }
func (r *textRun) Close() error              { return nil }

func (r *textRun) Frames(set int, t0, t1 float64, fn func(t float64, counts []int64, values []float64) error) error {
	if set != 0 {
		return fmt.Errorf("%s: a NeuroRD .out holds only the main output (set 0), not set %d", r.path, set)
	}
	ns, nv := len(r.h.Species), len(r.h.Voxels)
	buf := make([]int64, ns*nv)
	return r.stream(func(or *neurord.OutReader) error {
		for {
			fr, err := or.Next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if errors.Is(err, neurord.ErrTruncated) {
				r.truncated, r.msg = true, fmt.Sprintf("%s: the last output block is cut short (%v); read up to the one before", r.path, err)
				return nil
			}
			if err != nil {
				return err
			}
			if fr.TimeMs > t1 {
				return nil
			}
			if fr.TimeMs < t0 {
				continue
			}
			if len(fr.Species) != ns || len(fr.Counts) != nv {
				return fmt.Errorf("output at %g ms has %d voxels × %d species, the first has %d × %d", fr.TimeMs, len(fr.Counts), len(fr.Species), nv, ns)
			}
			for k := range fr.Counts {
				copy(buf[k*ns:(k+1)*ns], fr.Counts[k])
			}
			if err := fn(fr.TimeMs, buf, nil); err != nil {
				if errors.Is(err, traj.ErrStop) {
					return nil
				}
				return err
			}
		}
	})
}
