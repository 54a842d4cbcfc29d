package compare

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/spinerd/spinerd/neurord"
)

// Groups sums voxels into named groups (regions of a mesh): Voxels[g]
// lists the voxels of group g. An ensemble read with groups has one entry
// per species and group, named "species@group".
type Groups struct {
	Names  []string
	Voxels [][]int
}

// Label returns the ensemble name of species sp in group g.
func (gr *Groups) Label(sp string, g int) string { return sp + "@" + gr.Names[g] }

// ReadNeuroRDGroups reads NeuroRD main outputs like ReadNeuroRD but keeps,
// for every species, its sum over each group of voxels.
func ReadNeuroRDGroups(paths []string, times []float64, gr *Groups) (*Ensemble, error) {
	var e *Ensemble
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		var r io.Reader = f
		var zr *zstd.Decoder
		if strings.HasSuffix(p, ".zst") {
			if zr, err = zstd.NewReader(f); err != nil {
				f.Close()
				return nil, err
			}
			r = zr
		}
		or, err := neurord.NewOutReader(r)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		found := 0
		for found < len(times) {
			fr, err := or.Next()
			if err != nil {
				break
			}
			ti := TimeIndex(times, fr.TimeMs)
			if ti < 0 {
				continue
			}
			if e == nil {
				var names []string
				for _, s := range fr.Species {
					for g := range gr.Names {
						names = append(names, gr.Label(s, g))
					}
				}
				e = NewEnsemble(names, times)
			}
			for s := range fr.Species {
				for g, vs := range gr.Voxels {
					sum := 0.0
					for _, v := range vs {
						if v >= len(fr.Counts) {
							return nil, fmt.Errorf("%s: voxel %d of group %s beyond the %d voxels of the output", p, v, gr.Names[g], len(fr.Counts))
						}
						sum += float64(fr.Counts[v][s])
					}
					k := s*len(gr.Names) + g
					e.Samples[ti][k] = append(e.Samples[ti][k], sum)
				}
			}
			found++
		}
		if zr != nil {
			zr.Close()
		}
		f.Close()
		if found != len(times) {
			return nil, fmt.Errorf("%s: found %d of the %d requested times", p, found, len(times))
		}
	}
	if e == nil {
		return nil, fmt.Errorf("no NeuroRD outputs")
	}
	return e, nil
}
