package main

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/internal/testmodel"
	"github.com/spinerd/spinerd/model"
)

// TestPrepareHeap: runs of a mesh of 100 voxels or more collect garbage
// at GOGC=50 unless the environment sets GOGC; smaller models keep Go's
// setting.
func TestPrepareHeap(t *testing.T) {
	scheme := `<Specie name="A" id="A" kdiff="0" kdiffunit="mu2/s"/>`
	chain := func(voxels int) *model.System {
		text := testmodel.OneVoxel(scheme, "", "<runtime>1</runtime><outputInterval>1</outputInterval>")
		// one 1 µm box per µm of a segment of that length
		text = strings.Replace(text, `<end x="1"`, `<end x="`+strconv.Itoa(voxels)+`"`, 1)
		sys := testmodel.Compile(t, text, model.Options{})
		if sys.NumVoxels() != voxels {
			t.Fatalf("test model has %d voxels, want %d", sys.NumVoxels(), voxels)
		}
		return sys
	}
	small, large := chain(10), chain(120)
	const before = 100
	restore := debug.SetGCPercent(before)
	defer debug.SetGCPercent(restore)
	for _, c := range []struct {
		name  string
		sys   *model.System
		gogc  string // "": unset
		after int
	}{
		{"small model", small, "", before},
		{"large model, GOGC set", large, "100", before},
		{"large model", large, "", 50},
	} {
		t.Setenv("SPINERD_HUGEPAGES", "off")
		t.Setenv("GOGC", c.gogc)
		if c.gogc == "" {
			os.Unsetenv("GOGC")
		}
		debug.SetGCPercent(before)
		prepareHeap(c.sys, 1)
		if got := debug.SetGCPercent(before); got != c.after {
			t.Errorf("%s: GC percent %d after prepareHeap, want %d", c.name, got, c.after)
		}
	}
}
