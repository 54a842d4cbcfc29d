//go:build long

package neurord

import (
	"testing"

	"github.com/spinerd/spinerd/internal/testenv"
)

// TestLoadAllSharedModels is TestLoadAllModels over every model under
// ../shared (about 200 files: every per-seed input of the NeuroRD 3.3
// runs and every JCP 2016 run).
func TestLoadAllSharedModels(t *testing.T) {
	root := testenv.Shared(t)
	checkLoadAll(t, root, modelFiles(t, root, 100), 20)
}
