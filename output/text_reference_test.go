package output

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/spinerd/spinerd/internal/testenv"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
	"github.com/spinerd/spinerd/traj"
)

// headLines returns the first n lines of a (possibly zstd) text file.
func headLines(t *testing.T, path string, n int) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var sc *bufio.Scanner
	if strings.HasSuffix(path, ".zst") {
		zr, err := zstd.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		sc = bufio.NewScanner(zr)
	} else {
		sc = bufio.NewScanner(f)
	}
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var out []string
	for len(out) < n && sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// refText returns the path of NeuroRD's text output name: the file itself,
// compressed (.zst) or its first lines (.head, in testdata).
func refText(t *testing.T, name string) string {
	t.Helper()
	for _, p := range []string{name, name + ".zst", name + ".head"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("%s: no such reference output (nor .zst, .head)", name)
	return ""
}

// TestTextHeadersMatchNeuroRD: the main output's grid and first header
// line, the output-set column names and the mesh file are those NeuroRD
// 3.3.0 wrote for the reference runs (byte for byte; testdata holds their
// first lines, see testdata/README.md).
func TestTextHeadersMatchNeuroRD(t *testing.T) {
	root := filepath.Join(testenv.Testdata(t), "reference", "neurord-3.3")
	for _, c := range []struct{ set, base string }{
		{"ex_mglur_spine-CaY", "Model_mglur_spine-CaY_seed1"},
		{"ex_mglur_diff", "Model_mglur_diff_seed1"},
		{"mm_hfs", "Model_HFS1_seed9"},
		{"sanity_simple", "Model_simple"},
	} {
		t.Run(c.set, func(t *testing.T) {
			sys, _, err := neurord.Compile(filepath.Join(root, c.set, "inputs", c.base+".xml"), model.Options{})
			if err != nil {
				t.Fatal(err)
			}
			out := refText(t, filepath.Join(root, c.set, "outputs", c.base+".out"))
			nv := sys.NumVoxels()
			want := headLines(t, out, nv+3)
			if len(want) != nv+3 {
				t.Fatalf("%s: %d lines, want at least %d", out, len(want), nv+3)
			}
			base := filepath.Join(t.TempDir(), "run")
			tw, err := Create("neurord", base, Header(sys, 1, traj.Counts), CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			counts := make([]int64, nv*len(sys.Main.Species))
			tw.Counts(0, 0, counts)
			for i := 1; i < sys.NumOutputSets(); i++ {
				set := sys.OutputSet(i)
				tw.Counts(i, 0, make([]int64, len(set.Voxels)*len(set.Species)))
			}
			if err := tw.Close(); err != nil {
				t.Fatal(err)
			}
			got := headLines(t, base+".out", nv+3)
			for i := range want {
				if i < len(got) && got[i] != want[i] {
					t.Errorf("O.out line %d:\n got %.200q\nwant %.200q", i+1, got[i], want[i])
				}
			}
			for i, o := range sys.OutputSets {
				ref := refText(t, filepath.Join(root, c.set, "outputs", c.base+"-"+o.Name+"-conc.txt.out"))
				if got, want := headLines(t, base+"-"+o.Name+"-conc.txt.out", 1)[0], headLines(t, ref, 1)[0]; got != want {
					t.Errorf("output set %d header differs:\n got %.300q\nwant %.300q", i+1, got, want)
				}
			}
			mref := filepath.Join(root, c.set, "outputs", c.base+"-mesh.txt.out")
			a, err := os.ReadFile(mref)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(base + "-mesh.txt.out")
			if string(a) != string(b) {
				t.Errorf("mesh file differs from NeuroRD's")
			}
		})
	}
}
