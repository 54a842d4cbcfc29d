//go:build long

package nrdh5

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/spinerd/spinerd/internal/testenv"
	"github.com/spinerd/spinerd/neurord"
)

// TestReadFixtures reads the four NeuroRD 3.3 files and checks what
// their README states: trials, seeds, shapes, output sets.
func TestReadFixtures(t *testing.T) {
	dir := filepath.Join(testenv.Shared(t), "reference/neurord-3.3-h5")
	for _, c := range []struct {
		file           string
		seeds          []int64
		sets           []string
		frames, el, sp []int // per set
		stats          int
	}{
		{"Model_HFS1.h5", []int64{1}, []string{"__main__"}, []int{1201}, []int{1}, []int{204}, 4},
		{"Model_rest.h5", []int64{1, 2, 3}, []string{"__main__"}, []int{201}, []int{1}, []int{204}, 0},
		{"Model_mglur_diff_seed1.h5", []int64{1}, []string{"__main__", "all"}, []int{51, 10000}, []int{9, 9}, []int{14, 14}, 2},
		{"Model_mglur_spine-CaY_seed1.h5", []int64{1}, []string{"__main__", "all"}, []int{51, 10000}, []int{36, 36}, []int{20, 14}, 3},
	} {
		t.Run(c.file, func(t *testing.T) {
			run, err := Read(filepath.Join(dir, c.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(run.Trials) != len(c.seeds) {
				t.Fatalf("%d trials", len(run.Trials))
			}
			if len(run.Statistics) != c.stats || !strings.Contains(run.SerializedConfig, "<SDRun") || run.Manifest["Manifest-Version"] != "1.0" {
				t.Errorf("statistics %q, config %d bytes, manifest %v", run.Statistics, len(run.SerializedConfig), run.Manifest)
			}
			for i, tr := range run.Trials {
				if tr.Index != i || !tr.HasSeed || tr.Seed != c.seeds[i] {
					t.Errorf("trial %d: index %d seed %d", i, tr.Index, tr.Seed)
				}
				if len(tr.EventStatistics) != c.stats {
					t.Errorf("trial %d: %d event statistics", i, len(tr.EventStatistics))
				}
				for k, s := range tr.Sets {
					if s.Name != c.sets[k] || s.Frames() != c.frames[k] || len(s.Elements) != c.el[k] || len(s.Species) != c.sp[k] || len(s.Counts) != c.frames[k]*c.el[k]*c.sp[k] {
						t.Errorf("set %d: %s, %d frames × %d × %d, %d counts", k, s.Name, s.Frames(), len(s.Elements), len(s.Species), len(s.Counts))
					}
					if s.TimesMs[0] != 0 {
						t.Errorf("set %s starts at %g ms", s.Name, s.TimesMs[0])
					}
				}
			}
			for _, v := range run.Grid {
				if !(v.VolumeUm3 > 0) || v.RegionName == "" || run.Regions[v.Region] != v.RegionName {
					t.Errorf("grid row %+v", v)
					break
				}
			}
		})
	}
}

// TestHFS1MatchesText: NeuroRD is deterministic for a seed, so its HDF5
// file of Model_HFS1 seed 1 holds exactly the counts and times of its
// text output of the same model and seed.
func TestHFS1MatchesText(t *testing.T) {
	sh := testenv.Shared(t)
	run, err := Read(filepath.Join(sh, "reference/neurord-3.3-h5/Model_HFS1.h5"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(sh, "reference/neurord-3.3/mm_hfs/outputs/model_tstop12000_tol0.01_onset2000.0_n100_freq100.0_dur3.0_flux1900.0_Lflux10.0_Gluflux20.0_AChflux20.0_Ntrains1_trainT4000.0_seed1.out.zst"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	or, err := neurord.NewOutReader(zr)
	if err != nil {
		t.Fatal(err)
	}
	set := &run.Trials[0].Sets[0]
	n := 0
	for ; ; n++ {
		fr, err := or.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n >= set.Frames() {
			t.Fatalf("the text output has more than %d frames", set.Frames())
		}
		if fr.TimeMs != set.TimesMs[n] {
			t.Fatalf("frame %d: time %v, HDF5 %v", n, fr.TimeMs, set.TimesMs[n])
		}
		for j, c := range fr.Counts[0] {
			if fr.Species[j] != set.Species[j] || float64(c) != set.At(n, 0, j) {
				t.Fatalf("frame %d species %s: %d, HDF5 %s %g", n, fr.Species[j], c, set.Species[j], set.At(n, 0, j))
			}
		}
	}
	if n != set.Frames() {
		t.Errorf("%d text frames, %d HDF5 frames", n, set.Frames())
	}
}
