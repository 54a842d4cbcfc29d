//go:build long

package fromsys

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spinerd/spinerd/gillespie"
	"github.com/spinerd/spinerd/h5"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/nrdh5"
)

// TestModelMatchesNeuroRD writes the description of each fixture's model
// and compares every dataset under /model with NeuroRD's (types, shapes
// and values; reals to 1e-9), except serialized_config, which NeuroRD
// re-serialises from its own parse.
func TestModelMatchesNeuroRD(t *testing.T) {
	for _, fx := range fixtures(t) {
		t.Run(filepath.Base(fx.h5), func(t *testing.T) {
			d, err := Describe(compile(t, fx.model))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "spinerd.h5")
			w, err := nrdh5.Create(path, d)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			ref, err := h5.Open(fx.h5)
			if err != nil {
				t.Fatal(err)
			}
			defer ref.Close()
			got, err := h5.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer got.Close()
			rr, _ := ref.Root()
			gr, _ := got.Root()
			for _, p := range datasets(t, rr, "model") {
				if p == "model/serialized_config" {
					continue
				}
				if err := compareDataset(rr, gr, p); err != nil {
					t.Error(err)
				}
			}
			// and nothing more than NeuroRD has
			want := map[string]bool{}
			for _, p := range datasets(t, rr, "model") {
				want[p] = true
			}
			for _, p := range datasets(t, gr, "model") {
				if !want[p] {
					t.Errorf("%s: NeuroRD has no such dataset", p)
				}
			}
		})
	}
}

// datasets lists the dataset paths under group path.
func datasets(t *testing.T, root *h5.Group, path string) []string {
	g, err := root.Group(path)
	if err != nil {
		t.Fatal(err)
	}
	names, err := g.Names()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range names {
		if g.IsGroup(n) {
			out = append(out, datasets(t, root, path+"/"+n)...)
		} else {
			out = append(out, path+"/"+n)
		}
	}
	return out
}

func compareDataset(ref, got *h5.Group, path string) error {
	rd, err := ref.Dataset(path)
	if err != nil {
		return err
	}
	gd, err := got.Dataset(path)
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	if !rd.Type.Equal(&gd.Type) {
		return fmt.Errorf("%s: type %s, NeuroRD %s", path, gd.Type, rd.Type)
	}
	if fmt.Sprint(rd.Shape) != fmt.Sprint(gd.Shape) {
		return fmt.Errorf("%s: shape %v, NeuroRD %v", path, gd.Shape, rd.Shape)
	}
	rb, err := rd.ReadRaw()
	if err != nil {
		return err
	}
	gb, err := gd.ReadRaw()
	if err != nil {
		return err
	}
	var diffs []string
	members := []h5.Member{{Name: "", Type: rd.Type}}
	if rd.Type.Class == h5.ClassCompound {
		members = rd.Type.Members
	}
	n := len(rb) / rd.Type.Size
	for i := 0; i < n && len(diffs) < 5; i++ {
		for _, m := range members {
			a := rb[i*rd.Type.Size+m.Offset : i*rd.Type.Size+m.Offset+m.Type.Size]
			b := gb[i*rd.Type.Size+m.Offset : i*rd.Type.Size+m.Offset+m.Type.Size]
			var sa, sb string
			same := true
			switch m.Type.Class {
			case h5.ClassFloat:
				x, _ := m.Type.FloatAt(a)
				y, _ := m.Type.FloatAt(b)
				same = math.Abs(x-y) <= 1e-9*math.Max(1, math.Abs(x))
				sa, sb = fmt.Sprint(x), fmt.Sprint(y)
			case h5.ClassString:
				sa, sb = m.Type.DecodeString(a), m.Type.DecodeString(b)
				same = sa == sb
			default:
				x, _ := m.Type.IntAt(a)
				y, _ := m.Type.IntAt(b)
				same = x == y
				sa, sb = fmt.Sprint(x), fmt.Sprint(y)
			}
			if !same {
				diffs = append(diffs, fmt.Sprintf("[%d]%s: %q, NeuroRD %q", i, m.Name, sb, sa))
			}
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%s differs:\n  %s", path, strings.Join(diffs, "\n  "))
	}
	return nil
}

// timedSink measures the time spent writing.
type timedSink struct {
	next  model.Sink
	spent time.Duration
}

func (s *timedSink) Counts(set int, t float64, c []int64) error {
	start := time.Now()
	err := s.next.Counts(set, t, c)
	s.spent += time.Since(start)
	return err
}

// TestHFS1CompressedSize: a whole Model_HFS1 run (12 s, seed 1) stores
// its population in at most 1.5 times the bytes per frame NeuroRD's file
// of the same model uses (143,384 B for 1201 frames, 119 B per frame).
func TestHFS1CompressedSize(t *testing.T) {
	fx := fixtures(t)[0]
	sys := compile(t, fx.model)
	d, err := Describe(sys)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "hfs1.h5")
	start := time.Now()
	w, err := nrdh5.Create(path, d)
	if err != nil {
		t.Fatal(err)
	}
	tw, err := w.BeginTrial(0, 1)
	if err != nil {
		t.Fatal(err)
	}
	ts := &timedSink{next: tw}
	if _, err := gillespie.Run(context.Background(), sys, gillespie.Options{}, 1, ts); err != nil {
		t.Fatal(err)
	}
	created := time.Now()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	total := time.Since(start)
	perFrame := func(path string) (float64, int) {
		f, err := h5.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		root, _ := f.Root()
		ds, err := root.Dataset("trial0/output/__main__/population")
		if err != nil {
			t.Fatal(err)
		}
		n, err := ds.StoredBytes()
		if err != nil {
			t.Fatal(err)
		}
		return float64(n) / float64(ds.Shape[0]), int(ds.Shape[0])
	}
	ours, frames := perFrame(path)
	theirs, _ := perFrame(fx.h5)
	t.Logf("population: spinerd %.1f B/frame (%d frames), NeuroRD %.1f B/frame, ratio %.3f", ours, frames, theirs, ours/theirs)
	t.Logf("writing took %.1f%% of the run (%v of %v, closing %v)", 100*float64(ts.spent+time.Since(created))/float64(total), ts.spent, total, time.Since(created))
	if frames != 1201 {
		t.Errorf("%d frames, want 1201", frames)
	}
	if ours > 1.5*theirs {
		t.Errorf("%.1f B per frame, more than 1.5 × NeuroRD's %.1f", ours, theirs)
	}
}
