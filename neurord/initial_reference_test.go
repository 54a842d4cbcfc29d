package neurord

import (
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/spinerd/spinerd/internal/testenv"
	"github.com/spinerd/spinerd/model"
)

// openText opens a NeuroRD text output, plain or zstd-compressed (.zst).
func openText(t *testing.T, path string) io.Reader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if !strings.HasSuffix(path, ".zst") {
		return f
	}
	zr, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(zr.Close)
	return zr
}

func firstFrame(t *testing.T, path string) *Frame {
	t.Helper()
	or, err := NewOutReader(openText(t, path))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	fr, err := or.Next()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return fr
}

// mainOutputs lists the main outputs of the NeuroRD 3.3.0 reference runs
// under root (a copy of reference/neurord-3.3): NeuroRD's files (.out,
// .out.zst) or their first lines (.out.head, in testdata).
func mainOutputs(root string) []string {
	files, _ := filepath.Glob(filepath.Join(root, "*", "outputs", "*.out*"))
	var out []string
	for _, f := range files {
		if outputBase(f) != "" && !strings.Contains(filepath.Base(f), "-conc.txt.") && !strings.Contains(filepath.Base(f), "-mesh.txt.") {
			out = append(out, f)
		}
	}
	return out
}

// outputBase returns the run's name of a main output file, "" for other
// files.
func outputBase(path string) string {
	for _, suf := range []string{".out", ".out.zst", ".out.head"} {
		if b, ok := strings.CutSuffix(filepath.Base(path), suf); ok {
			return b
		}
	}
	return ""
}

// TestInitialCountsMatchNeuroRD compares the initial molecule counts with
// the t = 0 block of NeuroRD 3.3.0's outputs, for one run of every
// reference set (testdata/reference/neurord-3.3/*/outputs/*.out.head, the
// first lines of ../shared/reference/neurord-3.3/*/outputs/*.out.zst;
// every run with -tags long): every species in every voxel must agree up
// to NeuroRD's stochastic rounding, i.e. the expected count is within 1
// molecule of NeuroRD's and so is the count spinerd rounds with the run's
// seed. This covers the Mäki-Marttunen model (one voxel, concentrations,
// and on a dendrite with spines) and the spine example (36 voxels,
// region-specific concentrations and surface densities).
func TestInitialCountsMatchNeuroRD(t *testing.T) {
	root := filepath.Join(testenv.Testdata(t), "reference", "neurord-3.3")
	checked := checkInitialCounts(t, root, mainOutputs(root))
	sets, _ := filepath.Glob(filepath.Join(root, "*", "outputs"))
	if len(sets) < 8 {
		t.Errorf("only %d reference sets in %s", len(sets), root)
	}
	for _, dir := range sets {
		if set := filepath.Base(filepath.Dir(dir)); checked[set] == 0 {
			t.Errorf("no reference checked for %s", set)
		}
	}
}

// checkInitialCounts checks every main output against the run's input
// file (root/SET/inputs/BASE.xml) and returns how many runs of each set
// it checked.
func checkInitialCounts(t *testing.T, root string, files []string) map[string]int {
	checked := map[string]int{}
	for _, out := range files {
		set := filepath.Base(filepath.Dir(filepath.Dir(out)))
		base := outputBase(out)
		t.Run(set+"/"+base, func(t *testing.T) {
			m, _, err := Load(filepath.Join(root, set, "inputs", base+".xml"))
			if err != nil {
				t.Fatal(err)
			}
			sys, _, err := model.Compile(m, model.Options{})
			if err != nil {
				t.Fatal(err)
			}
			fr := firstFrame(t, out)
			if fr.TimeMs != 0 {
				t.Fatalf("first block at t=%v", fr.TimeMs)
			}
			ns := len(sys.Species)
			if len(fr.Species) != ns || len(fr.Counts) != sys.NumVoxels() {
				t.Fatalf("reference has %d species × %d voxels, spinerd %d × %d", len(fr.Species), len(fr.Counts), ns, sys.NumVoxels())
			}
			counts := sys.InitialCounts(uint64(sys.Seed))
			for v := range fr.Counts {
				for s, want := range fr.Counts[v] {
					if fr.Species[s] != sys.Species[s].ID {
						t.Fatalf("species %d is %s, NeuroRD %s", s, sys.Species[s].ID, fr.Species[s])
					}
					exp := sys.Initial[v*ns+s]
					if math.Abs(exp-float64(want)) >= 1 || math.Abs(float64(counts[v*ns+s]-want)) > 1 {
						t.Errorf("voxel %d %s: expected %.3f, rounded %d; NeuroRD %d", v, fr.Species[s], exp, counts[v*ns+s], want)
					}
				}
			}
			checked[set]++
		})
	}
	return checked
}
