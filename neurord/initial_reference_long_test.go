//go:build long

package neurord

import (
	"path/filepath"
	"testing"

	"github.com/spinerd/spinerd/internal/testenv"
)

// TestInitialCountsMatchNeuroRDAllRuns is TestInitialCountsMatchNeuroRD
// over every run of every NeuroRD 3.3.0 reference set in
// ../shared/reference/neurord-3.3 (about 150 runs).
func TestInitialCountsMatchNeuroRDAllRuns(t *testing.T) {
	root := filepath.Join(testenv.Shared(t), "reference", "neurord-3.3")
	files := mainOutputs(root)
	if len(files) < 20 {
		t.Fatalf("found only %d reference outputs", len(files))
	}
	checked := checkInitialCounts(t, root, files)
	for _, set := range []string{"mm_nostim", "mm_hfs", "ex_mglur_spine-CaY", "ex_mglur_diff"} {
		if checked[set] == 0 {
			t.Errorf("no reference checked for %s", set)
		}
	}
}
