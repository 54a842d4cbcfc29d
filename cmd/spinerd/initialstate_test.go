package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/internal/testenv"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
	"github.com/spinerd/spinerd/runfile"
)

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errb.String())
	}
	return out.String()
}

// TestInitialStateLoadsExactly: the counts a run starts from are those of
// the source frame, exactly, at the source's time.
func TestInitialStateLoadsExactly(t *testing.T) {
	rest := filepath.Join(testenv.Testdata(t), "models", "maki-marttunen-2020", "Model_rest.xml")
	dir := t.TempDir()
	src := filepath.Join(dir, "src.traj")
	mustRun(t, "run", rest, "--seed", "3", "--runtime", "3000", "-q", "-o", src)
	for _, at := range []string{"", "@1500"} {
		cont := filepath.Join(dir, "cont"+strings.TrimPrefix(at, "@")+".traj")
		mustRun(t, "run", rest, "--seed", "4", "--runtime", "4000", "--initial-state", src+at, "-q", "-o", cont)
		want := frameAt(t, src, map[string]float64{"": 3000, "@1500": 1500}[at])
		got := frameAt(t, cont, math.NaN())
		if want.t != got.t || fmt.Sprint(want.v) != fmt.Sprint(got.v) {
			t.Errorf("%s: continued run starts at %g with %v…, source frame %g has %v…", at, got.t, got.v[:5], want.t, want.v[:5])
		}
	}
}

type frame struct {
	t float64
	v []int64
}

// frameAt returns the frame of a trajectory at t (NaN: the first).
func frameAt(t *testing.T, path string, at float64) frame {
	t.Helper()
	r, err := runfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var f frame
	f.t = math.NaN()
	r.Frames(0, math.Inf(-1), math.Inf(1), func(tm float64, c []int64, _ []float64) error {
		if math.IsNaN(f.t) && (math.IsNaN(at) || tm == at) {
			f.t, f.v = tm, append([]int64(nil), c...)
		}
		return nil
	})
	return f
}

// TestInitialStateContinuesTheRun: Model_rest run to 10 s and continued to
// 20 s (another seed for the second half) has, over 32 seeds, the same
// statistics at 20 s as 32 uninterrupted 20 s runs (compare exits 0: every
// |z| ≤ 6; the false-failure rate of 6 SE over ~300 comparisons is < 1e-6).
func TestInitialStateContinuesTheRun(t *testing.T) {
	rest := filepath.Join(testenv.Testdata(t), "models", "maki-marttunen-2020", "Model_rest.xml")
	dir := t.TempDir()
	for s := 1; s <= 32; s++ {
		half := filepath.Join(dir, fmt.Sprintf("half-%d.traj", s))
		mustRun(t, "run", rest, "--seed", fmt.Sprint(s), "--runtime", "10000", "-q", "-o", half)
		mustRun(t, "run", rest, "--seed", fmt.Sprint(1000+s), "--initial-state", half, "-q", "-o", filepath.Join(dir, fmt.Sprintf("cont-%d.traj", s)))
		mustRun(t, "run", rest, "--seed", fmt.Sprint(2000+s), "-q", "-o", filepath.Join(dir, fmt.Sprintf("whole-%d.traj", s)))
	}
	var out, errb bytes.Buffer
	code := run([]string{"compare", filepath.Join(dir, "cont-*.traj"), filepath.Join(dir, "whole-*.traj"), "--times", "20000", "-q"}, &out, &errb)
	if code != 0 {
		t.Errorf("compare: exit %d\n%s%s", code, out.String(), errb.String())
	}
	t.Log(strings.TrimSpace(out.String()))
}

// TestInitialStateODE: an ODE run continued from the ODE state at 10 s
// matches the uninterrupted ODE run at every output time within 1e-5 of
// each amount (floored at one molecule). Both run at rtol 1e-8 so that
// what is compared is the continuation, not the solver's own error
// between two integration paths (at the default rtol 1e-6 the two differ
// by up to 1.4e-5 molecules on a species of 0.14 molecules).
func TestInitialStateODE(t *testing.T) {
	rest := filepath.Join(testenv.Testdata(t), "models", "maki-marttunen-2020", "Model_rest.xml")
	dir := t.TempDir()
	whole, cont := filepath.Join(dir, "whole.traj"), filepath.Join(dir, "cont.traj")
	tight := []string{"--method", "ode", "--rtol", "1e-8", "--atol", "1e-8", "-q"}
	mustRun(t, append([]string{"run", rest, "-o", whole}, tight...)...)
	mustRun(t, append([]string{"run", rest, "--initial-state", whole + "@10000", "-o", cont}, tight...)...)
	read := func(p string) map[float64][]float64 {
		r, err := runfile.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		m := map[float64][]float64{}
		r.Frames(0, math.Inf(-1), math.Inf(1), func(tm float64, _ []int64, f []float64) error {
			m[tm] = append([]float64(nil), f...)
			return nil
		})
		return m
	}
	a, b := read(whole), read(cont)
	if len(b) == 0 {
		t.Fatal("no frames")
	}
	worst, at, sp := 0.0, 0.0, 0
	for tm, y := range b {
		x, ok := a[tm]
		if !ok {
			t.Fatalf("continued frame at %g ms is not an output time of the uninterrupted run", tm)
		}
		for i := range y {
			if d := math.Abs(y[i]-x[i]) / math.Max(math.Abs(x[i]), 1); d > worst {
				worst, at, sp = d, tm, i
			}
		}
	}
	if worst > 1e-5 {
		t.Errorf("largest relative difference %.3g at %g ms, column %d: %g vs %g (want ≤ 1e-5)", worst, at, sp, b[at][sp], a[at][sp])
	}
}

// TestInitialStateMismatch: a state of another model, or a time the file
// does not have, is refused naming the state's file and the difference.
func TestInitialStateMismatch(t *testing.T) {
	td := testenv.Testdata(t)
	rest := filepath.Join(td, "models", "maki-marttunen-2020", "Model_rest.xml")
	other := filepath.Join(td, "models", "neurord-examples", "Model_mglur_diff.xml")
	dir := t.TempDir()
	src := filepath.Join(dir, "other.traj")
	mustRun(t, "run", other, "--runtime", "20", "--seed", "1", "-q", "-o", src)
	restSrc := filepath.Join(dir, "rest.traj")
	mustRun(t, "run", rest, "--runtime", "200", "--seed", "1", "-q", "-o", restSrc)
	for _, c := range []struct {
		args       []string
		file, want string
	}{
		{[]string{"run", rest, "--initial-state", src}, src, "voxels"},
		{[]string{"run", other, "--initial-state", restSrc}, restSrc, "another mesh"},
		{[]string{"run", rest, "--initial-state", restSrc + "@150"}, restSrc, "no frame at 150 ms"},
		{[]string{"ensemble", rest, "--seeds", "1-2", "--initial-state", src}, src, "voxels"},
	} {
		var out, errb bytes.Buffer
		if code := run(append(c.args, "-q", "-o", filepath.Join(dir, "x")), &out, &errb); code != 2 || !strings.Contains(errb.String(), c.want) || !strings.Contains(errb.String(), c.file+": ") || !strings.Contains(errb.String(), "--initial-state") {
			t.Errorf("%v: exit %d, stderr %q (want %q)", c.args, code, errb.String(), c.want)
		}
	}
	// A CSV export is a state when its columns are the mesh's voxels in
	// order; with voxels 0 and 1 swapped it is refused (it was taken as
	// it was, voxel 1's amounts in voxel 0).
	csvPath := filepath.Join(dir, "other.csv")
	mustRun(t, "export", src, "--format", "csv", "-o", csvPath)
	mustRun(t, "run", other, "--initial-state", csvPath, "--runtime", "40", "-q", "-o", filepath.Join(dir, "fromcsv.traj"))
	b, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	swapped := strings.NewReplacer("@0,", "@1,", "@1,", "@0,").Replace(strings.SplitN(string(b), "\n", 2)[0])
	swappedPath := filepath.Join(dir, "swapped.csv")
	os.WriteFile(swappedPath, []byte(swapped+"\n"+strings.SplitN(string(b), "\n", 2)[1]), 0o644)
	var out, errb bytes.Buffer
	if code := run([]string{"run", other, "--initial-state", swappedPath, "--runtime", "40", "-q", "-o", filepath.Join(dir, "x.traj")}, &out, &errb); code != 2 || !strings.Contains(errb.String(), `voxel "1" is the table's voxel 0`) {
		t.Errorf("voxels 0 and 1 swapped: exit %d, %s", code, errb.String())
	}

	// A NeuroRD .out without its mesh file has no volumes but the voxels'
	// corners: the same mesh moved 1 µm along x (same voxels, same
	// volumes) is another mesh.
	text := filepath.Join(dir, "n")
	mustRun(t, "export", src, "--format", "neurord", "-o", text)
	os.Remove(text + "-mesh.txt.out")
	mustRun(t, "run", other, "--initial-state", text+".out", "--runtime", "40", "-q", "-o", filepath.Join(dir, "fromout.traj"))
	moved := filepath.Join(dir, "moved")
	os.Mkdir(moved, 0o755)
	for _, f := range []string{"Model_mglur_diff.xml", "Rxn_mglur_diff.xml", "Morph1comp.xml", "IC_mglur.xml", "Out_mglur.xml"} {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(other), f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "Morph1comp.xml" {
			b = []byte(strings.NewReplacer(`x="0.0"`, `x="1.0"`, `x="8.0"`, `x="9.0"`).Replace(string(b)))
		}
		os.WriteFile(filepath.Join(moved, f), b, 0o644)
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"run", filepath.Join(moved, "Model_mglur_diff.xml"), "--initial-state", text + ".out", "--runtime", "40", "-q", "-o", filepath.Join(dir, "x.traj")}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "corner 0 is at (") || !strings.Contains(errb.String(), "(1.0000 4.0000 0.0000) µm in the model") || !strings.Contains(errb.String(), "another mesh") {
		t.Errorf("a mesh moved by 1 µm: exit %d, %s", code, errb.String())
	}

	// The state is read whole: a 1-voxel model of other species is named.
	sys, _, err := neurord.Compile(rest, model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sys.Species[0].ID = "Nope"
	if _, err := runfile.LoadState(restSrc, sys); err == nil || !strings.Contains(err.Error(), "Nope") {
		t.Errorf("other species: %v", err)
	}
}
