//go:build long

package neurord

import (
	"path/filepath"
	"testing"

	"github.com/spinerd/spinerd/internal/testenv"
)

// TestMeshMatchesJCP2016AllRuns is TestMeshMatchesJCP2016 over every run
// of the JCP 2016 examples in ../shared/reference/jcp2016.
func TestMeshMatchesJCP2016AllRuns(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testenv.Shared(t), "reference", "jcp2016", "*", "*.mesh.tsv"))
	if len(files) == 0 {
		t.Fatal("no jcp2016 mesh references found")
	}
	checkMeshJCP2016(t, files)
}

// TestMeshMatchesNeuroRD33AllRuns is TestMeshMatchesNeuroRD33 over every
// run in ../shared/reference/neurord-3.3.
func TestMeshMatchesNeuroRD33AllRuns(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testenv.Shared(t), "reference", "neurord-3.3", "*", "outputs", "*-mesh.txt.out"))
	if len(files) == 0 {
		t.Fatal("no NeuroRD 3.3 mesh references found")
	}
	checkMeshNeuroRD33(t, files)
}
