//go:build long || h5tools

package fromsys

import (
	"path/filepath"
	"testing"

	"github.com/spinerd/spinerd/internal/testenv"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
)

// fixture is a NeuroRD 3.3 HDF5 file and the model it was run from.
type fixture struct {
	h5, model string
}

func fixtures(t *testing.T) []fixture {
	sh := testenv.Shared(t)
	ref := filepath.Join(sh, "reference")
	return []fixture{
		{filepath.Join(ref, "neurord-3.3-h5/Model_HFS1.h5"), filepath.Join(sh, "models/maki-marttunen-2020/Model_HFS1.xml")},
		{filepath.Join(ref, "neurord-3.3-h5/Model_rest.h5"), filepath.Join(sh, "models/maki-marttunen-2020/Model_rest.xml")},
		{filepath.Join(ref, "neurord-3.3-h5/Model_mglur_diff_seed1.h5"), filepath.Join(ref, "neurord-3.3/ex_mglur_diff/inputs/Model_mglur_diff_seed1.xml")},
		{filepath.Join(ref, "neurord-3.3-h5/Model_mglur_spine-CaY_seed1.h5"), filepath.Join(ref, "neurord-3.3/ex_mglur_spine-CaY/inputs/Model_mglur_spine-CaY_seed1.xml")},
	}
}

func compile(t *testing.T, path string) *model.System {
	t.Helper()
	sys, _, err := neurord.Compile(path, model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return sys
}
