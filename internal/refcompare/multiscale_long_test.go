//go:build long

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

// TestMultiscaleMatchesNeuroRD is the reduced check of the multiscale
// method against NeuroRD 3.3.0 that CI runs: 16 seeds of the spine model
// under HFS (mm_hfs, all 12 s) and of Model_mglur_diff (its ε = 0.01 file)
// against NeuroRD's exact-SSA set ex_mglur_diff_exact. Every species whose
// mean exceeds 10 molecules at the times below: |z| ≤ 6 and the geometric
// mean SD ratio within [0.8, 1.25] (16 seeds give the ratio a sampling
// SD of about 4 %).
func TestMultiscaleMatchesNeuroRD(t *testing.T) {
	root := filepath.Join(testenv.Shared(t), "reference", "neurord-3.3")
	for _, c := range []struct {
		set, model string
		times      []float64
	}{
		{"mm_hfs", "Model_HFS1_seed9.xml", []float64{1000, 2500, 3000, 4000, 7000, 12000}},
		{"ex_mglur_diff_exact", "../../ex_mglur_diff/inputs/Model_mglur_diff_seed1.xml", []float64{200, 400, 1000, 2000, 5000, 10000}},
	} {
		t.Run(c.set, func(t *testing.T) {
			ref, err := compare.Read(compare.NeuroRDOutputs(filepath.Join(root, c.set)), c.times)
			if err != nil {
				t.Fatal(err)
			}
			sys, _, err := neurord.Compile(filepath.Join(root, c.set, "inputs", c.model), model.Options{Method: "multiscale"})
			if err != nil {
				t.Fatal(err)
			}
			seeds := make([]uint64, 16)
			for i := range seeds {
				seeds[i] = uint64(500 + i)
			}
			ens, st, err := RunSpinerd(sys, seeds, c.times, runtime.NumCPU())
			if err != nil {
				t.Fatal(err)
			}
			if !(st.Absorbed > 0) {
				t.Error("nothing was held in partial equilibrium")
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
