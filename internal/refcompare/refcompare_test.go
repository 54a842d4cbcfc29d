package refcompare

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/spinerd/spinerd/compare"
	"github.com/spinerd/spinerd/internal/testenv"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
)

// TestAdaptiveMatchesNeuroRD is a smaller version of
// benchmarks/neurordstats: spinerd's adaptive method on the spine model
// at rest and through the first half of an HFS train, 24 seeds, against
// NeuroRD 3.3.0's 20 reference runs. Every species whose mean exceeds 10
// molecules is compared at three times: |z| ≤ 6 and the geometric mean SD
// ratio within [0.8, 1.25] (wider than the benchmark's [0.85, 1.18]
// because fewer comparisons average out less sampling noise).
func TestAdaptiveMatchesNeuroRD(t *testing.T) {
	root := filepath.Join(testenv.Shared(t), "reference", "neurord-3.3")
	for _, c := range []struct {
		set, model string
		runtime    float64
		times      []float64
	}{
		{"mm_nostim", "Model_rest_seed9.xml", 3000, []float64{500, 1500, 3000}},
		{"mm_hfs", "Model_HFS1_seed9.xml", 2520, []float64{1000, 2200, 2520}},
	} {
		t.Run(c.set, func(t *testing.T) {
			ref, err := compare.Read(compare.NeuroRDOutputs(filepath.Join(root, c.set)), c.times)
			if err != nil {
				t.Fatal(err)
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
