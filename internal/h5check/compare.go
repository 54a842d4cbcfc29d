package h5check

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// SameStructure checks that spinerd's HDF5 file and NeuroRD's file of the
// same model have the same structure: `h5dump -H -A` equal after masking
// the manifest, dataspace sizes and the lengths of the strings NeuroRD
// writes from its internals (MaskHeader); `h5dump -p -H` showing the same
// layout, chunk shape, filters, fill value and allocation time for every
// dataset; and h5py seeing every object with the same kind, dtype, rank,
// maximum shape, chunking and filters, the same shape except along a
// growing first dimension (and NeuroRD's internal strings), and the same
// attributes (values too, except simulation_seed and the manifest).
func SameStructure(t *testing.T, neurord, spinerd string) {
	t.Helper()
	want := MaskHeader(H5dump(t, "-H", "-A", neurord))
	got := MaskHeader(H5dump(t, "-H", "-A", spinerd))
	// the file names in the first line differ
	want = want[strings.IndexByte(want, '\n'):]
	got = got[strings.IndexByte(got, '\n'):]
	if d := firstDiff(want, got); d != "" {
		t.Errorf("h5dump -H -A differs from NeuroRD's:\n%s", d)
	}
	ws := Storage(H5dump(t, "-p", "-H", neurord))
	gs := Storage(H5dump(t, "-p", "-H", spinerd))
	if len(ws) < 20 {
		t.Fatalf("only %d datasets parsed from NeuroRD's h5dump", len(ws))
	}
	for p, w := range ws {
		if gs[p] != w {
			t.Errorf("%s:\nNeuroRD:\n%s\nspinerd:\n%s", p, w, gs[p])
		}
	}
	if len(gs) != len(ws) {
		t.Errorf("%d datasets, NeuroRD %d", len(gs), len(ws))
	}
	ref := H5py(t, neurord, false)
	py := H5py(t, spinerd, false)
	var names []string
	for n := range ref {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		r, g := ref[n], py[n]
		if g == nil {
			t.Errorf("%s: missing", n)
			continue
		}
		if err := sameConvention(n, r, g); err != nil {
			t.Error(err)
		}
	}
	for n := range py {
		if ref[n] == nil {
			t.Errorf("%s: NeuroRD's file has no such object", n)
		}
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

func internalString(name string) bool {
	return name == "model/serialized_config" || name == "model/events/descriptions" || name == "model/event_statistics"
}

func sameConvention(n string, r, g *Dataset) error {
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
