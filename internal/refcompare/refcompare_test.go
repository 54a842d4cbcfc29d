package refcompare

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/compare"
	"github.com/spinerd/spinerd/internal/testenv"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
)

// readSums reads an ensemble-sums.tsv file of testdata: the voxel-summed
// counts of every run of a NeuroRD reference set at a few times (written
// by benchmarks/refdata from ../shared/reference/neurord-3.3/SET/outputs).
func readSums(t *testing.T, path string) *compare.Ensemble {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var runs int
	var species []string
	var times []float64
	rows := map[float64][][]float64{}
	for n, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		f := strings.Split(line, "\t")
		switch {
		case strings.HasPrefix(line, "#"):
			continue
		case f[0] == "time_ms":
			runs = len(f) - 2
			continue
		case runs < 2 || len(f) != runs+2:
			t.Fatalf("%s:%d: %d fields, want %d", path, n+1, len(f), runs+2)
		}
		tm, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			t.Fatalf("%s:%d: %v", path, n+1, err)
		}
		if _, ok := rows[tm]; !ok {
			times = append(times, tm)
		}
		if len(times) == 1 {
			species = append(species, f[1])
		} else if k := len(rows[tm]); k >= len(species) || species[k] != f[1] {
			t.Fatalf("%s:%d: species %s out of order", path, n+1, f[1])
		}
		vals := make([]float64, runs)
		for i, s := range f[2:] {
			if vals[i], err = strconv.ParseFloat(s, 64); err != nil {
				t.Fatalf("%s:%d: %v", path, n+1, err)
			}
		}
		rows[tm] = append(rows[tm], vals)
	}
	e := compare.NewEnsemble(species, times)
	for ti, tm := range times {
		if len(rows[tm]) != len(species) {
			t.Fatalf("%s: %d species at %g ms, %d at %g ms", path, len(rows[tm]), tm, len(species), times[0])
		}
		for s := range species {
			e.Samples[ti][s] = rows[tm][s]
		}
	}
	return e
}

// TestAdaptiveMatchesNeuroRD is a smaller version of
// benchmarks/neurordstats: spinerd's adaptive method on the spine model
// at rest and through the first half of an HFS train, 24 seeds, against
// NeuroRD 3.3.0's 20 reference runs (their voxel-summed counts at the
// compared times, testdata/reference/neurord-3.3/SET/ensemble-sums.tsv).
// Every species whose mean exceeds 10 molecules is compared at three
// times: |z| ≤ 6 and the geometric mean SD ratio within [0.8, 1.25] (wider
// than the benchmark's [0.85, 1.18] because fewer comparisons average out
// less sampling noise).
func TestAdaptiveMatchesNeuroRD(t *testing.T) {
	root := filepath.Join(testenv.Testdata(t), "reference", "neurord-3.3")
	for _, c := range []struct {
		set, model string
		runtime    float64
		times      []float64
	}{
		{"mm_nostim", "Model_rest_seed9.xml", 3000, []float64{500, 1500, 3000}},
		{"mm_hfs", "Model_HFS1_seed9.xml", 2520, []float64{1000, 2200, 2520}},
	} {
		t.Run(c.set, func(t *testing.T) {
			ref := readSums(t, filepath.Join(root, c.set, "ensemble-sums.tsv"))
			if ref.Runs() != 20 {
				t.Fatalf("%d reference runs, want 20", ref.Runs())
			}
			sys, _, err := neurord.Compile(filepath.Join(root, c.set, "inputs", c.model), model.Options{Method: "adaptive", RuntimeMs: c.runtime})
			if err != nil {
				t.Fatal(err)
			}
			seeds := make([]uint64, 24)
			for i := range seeds {
				seeds[i] = uint64(300 + i)
			}
			ens, _, err := RunSpinerd(sys, seeds, c.times, runtime.NumCPU())
			if err != nil {
				t.Fatal(err)
			}
			cs, err := compare.Compare(ens, ref, 10)
			if err != nil {
				t.Fatal(err)
			}
			maxZ, geo := compare.Summary(cs)
			t.Logf("%d comparisons: max |z| %.2f, geometric mean SD ratio %.3f", len(cs), maxZ, geo)
			if maxZ > 6 || geo < 0.8 || geo > 1.25 {
				for _, x := range cs {
					if x.Z > 4 || x.Z < -4 {
						t.Logf("%s at %g ms: spinerd %.1f ± %.1f, NeuroRD %.1f ± %.1f, z %.2f", x.Species, x.TimeMs, x.MeanA, x.SDA, x.MeanB, x.SDB, x.Z)
					}
				}
				t.Errorf("max |z| %.2f, geometric mean SD ratio %.3f", maxZ, geo)
			}
		})
	}
}
