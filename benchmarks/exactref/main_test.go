//go:build long

package main

import (
	"testing"

	"github.com/spinerd/spinerd/internal/testenv"
)

// TestMultiscaleReduced is the reduced accuracy check of the multiscale
// method that CI runs (go test -tags long ./benchmarks/exactref): 16
// seeds of Model_HFS1 and Model_mglur_diff against the stored 64 exact
// runs, with the criteria of the full benchmark except the bounds on the
// geometric mean SD ratio, widened to [0.85, 1.18] for the smaller
// sample (its sampling SD is about 3 % here).
func TestMultiscaleReduced(t *testing.T) {
	shared := testenv.Shared(t)
	for _, rm := range models {
		if rm.name != "HFS1" && rm.name != "mglur_diff" {
			continue
		}
		t.Run(rm.name, func(t *testing.T) {
			pass, err := check(shared, "testdata", rm, "multiscale", 16, false, 0.85, 1.18)
			if err != nil {
				t.Fatal(err)
			}
			if !pass {
				t.Error("the multiscale method differs from the exact SSA (see the table above)")
			}
		})
	}
}
