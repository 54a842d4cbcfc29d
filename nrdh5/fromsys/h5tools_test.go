//go:build h5tools

package fromsys

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/internal/h5check"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
	"github.com/spinerd/spinerd/nrdh5"
)

// These tests need h5dump and h5py (apt-get install hdf5-tools
// python3-h5py) and ../shared; run them with -tags h5tools.

// spinerdFile runs the model of a fixture briefly (runtimeMs) with the
// fixture's seeds, one trial each, into a NeuroRD HDF5 file, and returns
// the file and what the runs wrote.
func spinerdFile(t *testing.T, fx fixture, runtimeMs float64, seeds []uint64) (string, []*recorder) {
	t.Helper()
	sys, _, err := neurord.Compile(fx.model, model.Options{RuntimeMs: runtimeMs})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(fx.h5), ".h5")+"-spinerd.h5")
	recs := writeRun(t, sys, path, seeds)
	return path, recs
}

type toolCase struct {
	fx        fixture
	runtimeMs float64
	seeds     []uint64
}

func toolCases(t *testing.T) []toolCase {
	fx := fixtures(t)
	return []toolCase{
		{fx[0], 50, []uint64{1}},
		{fx[1], 50, []uint64{1, 2, 3}}, // the 3-trial file an ensemble of seeds 1-3 gathers
		{fx[2], 20, []uint64{1}},
		{fx[3], 20, []uint64{1}},
	}
}

// TestSameStructureAsNeuroRD: spinerd's file and NeuroRD's fixture of the
// same model have the same structure (h5check.SameStructure: h5dump -H -A
// after masking, h5dump -p -H storage, h5py conventions).
func TestSameStructureAsNeuroRD(t *testing.T) {
	for _, c := range toolCases(t) {
		t.Run(filepath.Base(c.fx.h5), func(t *testing.T) {
			path, _ := spinerdFile(t, c.fx, c.runtimeMs, c.seeds)
			h5check.SameStructure(t, c.fx.h5, path)
		})
	}
}

// TestH5pyReadsWhatWasWritten: through h5py, every dataset of spinerd's
// file has the bytes spinerd's own reader returns, and population and
// times are exactly the counts and times the runs produced; species,
// elements and grid are those of the model description.
func TestH5pyReadsWhatWasWritten(t *testing.T) {
	for _, c := range toolCases(t) {
		t.Run(filepath.Base(c.fx.h5), func(t *testing.T) {
			path, recs := spinerdFile(t, c.fx, c.runtimeMs, c.seeds)
			py := h5check.H5py(t, path, true)
			h5check.SameBytes(t, h5check.ReaderOf(t, path), py)
			sys, _, _ := neurord.Compile(c.fx.model, model.Options{RuntimeMs: c.runtimeMs})
			desc, _ := Describe(sys)
			for ti, rec := range recs {
				for s, frames := range rec.frames {
					set := desc.Outputs[s].Name
					pre := fmt.Sprintf("trial%d/output/%s/", ti, set)
					pop, times := py[pre+"population"], py[pre+"times"]
					if pop == nil || times == nil {
						t.Fatalf("%s: missing", pre)
					}
					var wantPop, wantTimes []byte
					for _, fr := range frames {
						for _, x := range fr.c {
							wantPop = binary.LittleEndian.AppendUint32(wantPop, uint32(int32(x)))
						}
						wantTimes = binary.LittleEndian.AppendUint64(wantTimes, math.Float64bits(fr.t))
					}
					if !bytes.Equal(pop.Bytes(t), wantPop) || pop.Shape[0] != int64(len(frames)) {
						t.Errorf("%spopulation: h5py reads other counts than the run wrote", pre)
					}
					if !bytes.Equal(times.Bytes(t), wantTimes) {
						t.Errorf("%stimes: h5py reads other times than the run wrote", pre)
					}
					var names []string
					for _, sp := range desc.Outputs[s].Species {
						names = append(names, desc.Species[sp])
					}
					if got := strings.Fields(strings.Trim(decodeStrings(t, py["model/output/"+set+"/species"]), "[]")); fmt.Sprint(got) != fmt.Sprint(names) {
						t.Errorf("%s species %v, want %v", set, got, names)
					}
				}
			}
			// grid volumes and labels as described
			g := py["model/grid"]
			gt := nrdh5.GridType()
			raw := g.Bytes(t)
			for i, v := range desc.Grid {
				row := raw[i*gt.Size : (i+1)*gt.Size]
				vm, _ := gt.Member("volume")
				lm, _ := gt.Member("label")
				vol, _ := vm.Type.FloatAt(row[vm.Offset:])
				if vol != v.VolumeUm3 || lm.Type.DecodeString(row[lm.Offset:lm.Offset+lm.Type.Size]) != v.Label {
					t.Errorf("grid row %d: h5py reads volume %g, want %g", i, vol, v.VolumeUm3)
				}
			}
		})
	}
}

func decodeStrings(t *testing.T, d *h5check.Dataset) string {
	var dt string
	if err := json.Unmarshal(d.DType, &dt); err != nil {
		t.Fatal(err)
	}
	var size int
	fmt.Sscanf(dt, "|S%d", &size)
	raw := d.Bytes(t)
	var out []string
	for i := 0; i+size <= len(raw); i += size {
		s := raw[i : i+size]
		if k := bytes.IndexByte(s, 0); k >= 0 {
			s = s[:k]
		}
		out = append(out, string(s))
	}
	return fmt.Sprint(out)
}
