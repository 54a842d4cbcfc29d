//go:build h5tools

package fromsys

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"sort"
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

// TestH5dumpHeaderMatchesNeuroRD: `h5dump -H -A` of spinerd's file and of
// NeuroRD's are equal after masking the manifest, dataspace sizes and the
// lengths of NeuroRD's internal strings.
func TestH5dumpHeaderMatchesNeuroRD(t *testing.T) {
	for _, c := range toolCases(t) {
		t.Run(filepath.Base(c.fx.h5), func(t *testing.T) {
			path, _ := spinerdFile(t, c.fx, c.runtimeMs, c.seeds)
			want := h5check.MaskHeader(h5check.H5dump(t, "-H", "-A", c.fx.h5))
			got := h5check.MaskHeader(h5check.H5dump(t, "-H", "-A", path))
			// the file names in the first line differ
			want = want[strings.IndexByte(want, '\n'):]
			got = got[strings.IndexByte(got, '\n'):]
			if d := firstDiff(want, got); d != "" {
				t.Errorf("h5dump -H -A differs from NeuroRD's:\n%s", d)
			}
		})
	}
}

// firstDiff describes the first differing line of two texts, with context.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < max(len(la), len(lb)); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			lo := max(0, i-6)
			return fmt.Sprintf("line %d\n--- NeuroRD:\n%s\n--- spinerd:\n%s", i+1,
				strings.Join(la[lo:min(len(la), i+4)], "\n"), strings.Join(lb[lo:min(len(lb), i+4)], "\n"))
		}
	}
	return ""
}

// TestH5dumpStorageMatchesNeuroRD: `h5dump -p -H` shows the same layout,
// chunk shape, filters, fill value and allocation time for every dataset.
func TestH5dumpStorageMatchesNeuroRD(t *testing.T) {
	for _, c := range toolCases(t) {
		t.Run(filepath.Base(c.fx.h5), func(t *testing.T) {
			path, _ := spinerdFile(t, c.fx, c.runtimeMs, c.seeds)
			want := h5check.Storage(h5check.H5dump(t, "-p", "-H", c.fx.h5))
			got := h5check.Storage(h5check.H5dump(t, "-p", "-H", path))
			if len(want) < 20 {
				t.Fatalf("only %d datasets parsed from NeuroRD's h5dump", len(want))
			}
			for p, w := range want {
				if got[p] != w {
					t.Errorf("%s:\nNeuroRD:\n%s\nspinerd:\n%s", p, w, got[p])
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d datasets, NeuroRD %d", len(got), len(want))
			}
		})
	}
}

// TestH5pySameConventions: h5py sees every object NeuroRD's file has, with
// the same kind, dtype, rank, maximum shape, chunking and filters, the
// same shape except along a growing first dimension (and for NeuroRD's
// internal strings), and the same attributes (values too, except
// simulation_seed when the seeds differ and the manifest).
func TestH5pySameConventions(t *testing.T) {
	for _, c := range toolCases(t) {
		t.Run(filepath.Base(c.fx.h5), func(t *testing.T) {
			path, _ := spinerdFile(t, c.fx, c.runtimeMs, c.seeds)
			ref := h5check.H5py(t, c.fx.h5, false)
			got := h5check.H5py(t, path, false)
			var names []string
			for n := range ref {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				r, g := ref[n], got[n]
				if g == nil {
					t.Errorf("%s: missing", n)
					continue
				}
				if err := sameConvention(n, r, g); err != nil {
					t.Error(err)
				}
			}
			for n := range got {
				if ref[n] == nil {
					t.Errorf("%s: NeuroRD's file has no such object", n)
				}
			}
		})
	}
}

func internalString(name string) bool {
	return name == "model/serialized_config" || name == "model/events/descriptions" || name == "model/event_statistics"
}

func sameConvention(n string, r, g *h5check.Dataset) error {
	if r.Kind != g.Kind {
		return fmt.Errorf("%s: %s, NeuroRD %s", n, g.Kind, r.Kind)
	}
	if !strings.HasPrefix(n, "manifest") {
		for k, v := range r.Attrs {
			gv, ok := g.Attrs[k]
			switch {
			case !ok:
				return fmt.Errorf("%s: attribute %s missing", n, k)
			case k != "simulation_seed" && fmt.Sprint(gv) != fmt.Sprint(v):
				return fmt.Errorf("%s: attribute %s = %v, NeuroRD %v", n, k, gv, v)
			}
		}
		if len(r.Attrs) != len(g.Attrs) {
			return fmt.Errorf("%s: attributes %v, NeuroRD %v", n, keys(g.Attrs), keys(r.Attrs))
		}
	}
	if r.Kind == "group" {
		return nil
	}
	rd, gd := string(r.DType), string(g.DType)
	if internalString(n) {
		rd, gd = maskDigits(rd), maskDigits(gd)
	}
	if rd != gd {
		return fmt.Errorf("%s: dtype %s, NeuroRD %s", n, gd, rd)
	}
	if len(r.Shape) != len(g.Shape) || fmt.Sprint(r.MaxShape[1:]) != fmt.Sprint(g.MaxShape[1:]) || (r.MaxShape[0] == -1) != (g.MaxShape[0] == -1) {
		return fmt.Errorf("%s: shape %v / %v, NeuroRD %v / %v", n, g.Shape, g.MaxShape, r.Shape, r.MaxShape)
	}
	growing := r.MaxShape[0] == -1
	if !growing && !strings.HasPrefix(n, "model/events") && fmt.Sprint(r.Shape) != fmt.Sprint(g.Shape) {
		return fmt.Errorf("%s: shape %v, NeuroRD %v", n, g.Shape, r.Shape)
	}
	if growing && fmt.Sprint(r.Shape[1:]) != fmt.Sprint(g.Shape[1:]) {
		return fmt.Errorf("%s: shape %v, NeuroRD %v", n, g.Shape, r.Shape)
	}
	if fmt.Sprint(r.Chunks) != fmt.Sprint(g.Chunks) || deref(r.Compression) != deref(g.Compression) ||
		fmt.Sprint(r.Opts) != fmt.Sprint(g.Opts) || r.Shuffle != g.Shuffle {
		return fmt.Errorf("%s: chunks %v %v %v shuffle %v, NeuroRD %v %v %v %v", n, g.Chunks, deref(g.Compression), g.Opts, g.Shuffle, r.Chunks, deref(r.Compression), r.Opts, r.Shuffle)
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return "none"
	}
	return *s
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func maskDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			r = '#'
		}
		b.WriteRune(r)
	}
	return b.String()
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
