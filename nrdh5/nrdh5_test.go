package nrdh5

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The chunk lengths NeuroRD 3.3 chose in the four fixtures
// (h5dump -p -H): population rows of 204, 126, 720 and 504 values,
// times, and statistics rows of 8, 4 and 6 values.
func TestChunkRows(t *testing.T) {
	for rowElems, want := range map[uint64]uint64{204: 8, 126: 16, 720: 2, 504: 4, 1: 2048, 8: 256, 4: 512, 6: 256, 5000: 1} {
		if got := chunkRows(rowElems); got != want {
			t.Errorf("chunkRows(%d) = %d, want %d", rowElems, got, want)
		}
	}
}

func TestStringWidth(t *testing.T) {
	// NeuroRD: 4 bytes per UTF-16 unit of the longest string, plus one
	for _, c := range []struct {
		in   []string
		want int
	}{{[]string{"Ca", "CaOut"}, 21}, {[]string{""}, 2}, {nil, 2}, {[]string{"el.0→1"}, 25}, {[]string{"𝄞"}, 9}} {
		if got := stringWidth(c.in); got != c.want {
			t.Errorf("stringWidth(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

// desc is a small two-voxel model with two output sets, a stimulation,
// events and statistics.
func desc(values ValueKind) *Description {
	d := &Description{
		Species: []string{"A", "B", "C"},
		Regions: []string{"default", "dend"},
		Grid: []Voxel{
			{Corners: [4][3]float64{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0.5}}, VolumeUm3: 0.5, DeltaZUm: 0.5, Label: "element0", RegionName: "dend", Region: 1, Type: "submembrane"},
			{Corners: [4][3]float64{{1, 0, 0}, {2, 0, 0}, {2, 1, 0}, {1, 1, 0.5}}, VolumeUm3: 0.5, DeltaZUm: 0.5, Label: "pointA", RegionName: "dend", Region: 1, Type: "cytosol", Group: "sa1[0]"},
		},
		Neighbors: [][]int{{1}, {0}},
		Couplings: [][]float64{{0.5}, {0.5}},
		Reactions: []Reaction{
			{Reactants: []int{0, 1}, ReactantStoichiometry: []int{1, 1}, Products: []int{2}, ProductStoichiometry: []int{1}, Rate: 1e-3, Reverse: 1},
			{Reactants: []int{2}, ReactantStoichiometry: []int{1}, Products: []int{0, 1}, ProductStoichiometry: []int{1, 1}, Rate: 0.5, Reverse: 0},
		},
		Stimulations: []Stimulation{{Target: "pointA", Voxels: []int{1}}},
		Events: []Event{
			{Description: "Diffusion A el.0→1", Type: EventDiffusion, Source: 0, Target: 1, Substrates: []int{0, 0}, Stoichiometry: []int{-1, 1}},
			{Description: "Stimulation el.1 A", Type: EventStimulation, Source: 1, Target: 1, Substrates: []int{0}, Stoichiometry: []int{1}},
		},
		Statistics:       []string{"Stimulation of species A"},
		Outputs:          []OutputSet{{Name: "__main__", Species: []int{0, 1, 2}, Elements: []int{0, 1}}, {Name: "spine", Species: []int{2, 0}, Elements: []int{1}}},
		SerializedConfig: "<SDRun>µ</SDRun>",
		Manifest:         []KeyValue{{"Manifest-Version", "1.0"}, {"Created-By", "test"}},
		Values:           values,
	}
	return d
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.h5")
	d := desc(Counts)
	w, err := Create(path, d)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	type frame struct {
		t float64
		c []int64
	}
	want := map[int][2][]frame{}
	for _, trial := range []int{0, 2} {
		tr, err := w.BeginTrial(trial, int64(100+trial))
		if err != nil {
			t.Fatal(err)
		}
		var fr [2][]frame
		for k := 0; k < 37; k++ {
			for s, n := range []int{6, 2} {
				if s == 1 && k%3 != 0 {
					continue
				}
				c := make([]int64, n)
				for i := range c {
					c[i] = rng.Int64N(1 << 31)
				}
				if err := tr.Counts(s, float64(k)*0.25, c); err != nil {
					t.Fatal(err)
				}
				fr[s] = append(fr[s], frame{float64(k) * 0.25, c})
			}
		}
		if trial == 0 {
			if err := tr.SetEventStatistics([][2]int64{{5, 9}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := tr.End(); err != nil {
			t.Fatal(err)
		}
		want[trial] = fr
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	run, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(run.Species, d.Species) || !reflect.DeepEqual(run.Regions, d.Regions) || !reflect.DeepEqual(run.Grid, d.Grid) {
		t.Errorf("model read back differs:\n%+v\n%+v", run.Grid, d.Grid)
	}
	if run.SerializedConfig != d.SerializedConfig || run.Manifest["Created-By"] != "test" || !reflect.DeepEqual(run.Statistics, d.Statistics) {
		t.Errorf("config %q manifest %v statistics %v", run.SerializedConfig, run.Manifest, run.Statistics)
	}
	if len(run.Trials) != 2 || run.Trials[0].Index != 0 || run.Trials[1].Index != 2 || run.Trials[1].Seed != 102 || !run.Trials[1].HasSeed {
		t.Fatalf("trials %+v", run.Trials)
	}
	if !reflect.DeepEqual(run.Trials[0].EventStatistics, [][2]int64{{5, 9}}) || !reflect.DeepEqual(run.Trials[1].EventStatistics, [][2]int64{{-1, -1}}) {
		t.Errorf("event statistics %v %v", run.Trials[0].EventStatistics, run.Trials[1].EventStatistics)
	}
	for ti, tr := range run.Trials {
		fr := want[tr.Index]
		for s, set := range tr.Sets {
			wantName := d.Outputs[s].Name
			if set.Name != wantName || set.Frames() != len(fr[s]) {
				t.Fatalf("trial %d set %d: %s with %d frames, want %s with %d", tr.Index, s, set.Name, set.Frames(), wantName, len(fr[s]))
			}
			for f, x := range fr[s] {
				if set.TimesMs[f] != x.t {
					t.Fatalf("time %g, want %g", set.TimesMs[f], x.t)
				}
				ne, ns := len(set.Elements), len(set.Species)
				for k := 0; k < ne; k++ {
					for j := 0; j < ns; j++ {
						if got := set.At(f, k, j); got != float64(x.c[k*ns+j]) {
							t.Fatalf("trial %d set %s frame %d [%d][%d] = %g, want %d", tr.Index, set.Name, f, k, j, got, x.c[k*ns+j])
						}
					}
				}
			}
		}
		_ = ti
	}
	if got := run.Trials[0].Sets[1].Species; !reflect.DeepEqual(got, []string{"C", "A"}) {
		t.Errorf("spine species %v", got)
	}
	// one frame through the lazy reader
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c, _, err := r.Frame(1, 0, 36)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range want[2][0][36].c {
		if int64(c[i]) != x {
			t.Fatalf("Frame: [%d] = %d, want %d", i, c[i], x)
		}
	}
}

func TestReals(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ode.h5")
	d := desc(Reals)
	d.Events, d.Statistics = nil, nil
	w, err := Create(path, d)
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := w.BeginTrial(0, 1)
	if err := tr.Values(0, 0, []float64{0.5, 1.25, 2, 3, 4, 5}); err != nil {
		t.Fatal(err)
	}
	if err := tr.Values(0, -1, []float64{0, 0, 0, 0, 0, 0}); err == nil {
		t.Error("a frame earlier than the last was accepted")
	}
	if err := tr.Values(0, 1, []float64{1}); err == nil {
		t.Error("a short frame was accepted")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	run, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	s := run.Trials[0].Sets[0]
	if !s.Reals || !reflect.DeepEqual(s.Values, []float64{0.5, 1.25, 2, 3, 4, 5}) || s.Counts != nil {
		t.Errorf("reals: %+v", s)
	}
	if run.Statistics != nil || run.Trials[0].EventStatistics != nil {
		t.Error("statistics written without events")
	}
}

func TestCountOverflow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.h5")
	w, err := Create(path, desc(Counts))
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := w.BeginTrial(0, 1)
	if err := tr.Counts(0, 0, []int64{1, 2, 3, 4, 5, 1 << 31}); err == nil {
		t.Error("a count beyond int32 was accepted")
	}
	if err := w.Close(); err == nil {
		t.Error("Close succeeded after a failed frame")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Error("a failed file was left behind")
	}
}
