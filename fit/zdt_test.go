package fit

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/internal/dirlock"
)

func zdt(kind, n int) (Problem, []Variable) {
	p, v, _ := ZDT(kind, n)
	return p, v
}

func trueHV(kind int) float64 {
	_, _, hv := ZDT(kind, 2)
	return hv
}

func runZDT(t *testing.T, kind, gens int, seed uint64, jobs int, dir string, stopAfter int, resume bool) []*Individual {
	t.Helper()
	prob, vars := zdt(kind, 30)
	cfg := Config{Variables: vars, Objectives: []string{"f1", "f2"}, N: 100, Generations: gens, EtaC: 20, EtaM: 20, PM: 1.0 / 30, Variation: NSGA2, Seed: seed, Jobs: jobs, RefPoint: []float64{1.1, 1.1}}
	pop, err := Run(context.Background(), prob, cfg, Options{Dir: dir, StopAfter: stopAfter, Resume: resume})
	if err != nil {
		t.Fatal(err)
	}
	return pop
}

func frontHV(pop []*Individual) float64 {
	var f [][]float64
	for _, ind := range pop {
		if ind.Rank == 0 {
			f = append(f, ind.F)
		}
	}
	hv, _ := Hypervolume(f, []float64{1.1, 1.1})
	return hv
}

// TestTrueHypervolumes checks the analytic values of the true fronts.
func TestTrueHypervolumes(t *testing.T) {
	for _, c := range []struct {
		kind int
		want float64
	}{{1, 0.1 + 2.0/3 + 0.11}, {2, 0.1 + 1.0/3 + 0.11}} {
		if got := trueHV(c.kind); math.Abs(got-c.want) > 1e-5 {
			t.Errorf("ZDT%d: %g, want %g", c.kind, got, c.want)
		}
	}
}

// TestZDTShort: the short version of the ZDT benchmark (one seed each,
// 150 generations; benchmarks/fit runs 5 seeds × 250 generations) with
// the standard NSGA-II settings (η_c = η_m = 20, p_m = 1/30, Deb's SBX):
// the final front's hypervolume is within 3 % of the true front's.
func TestZDTShort(t *testing.T) {
	for kind := 1; kind <= 3; kind++ {
		want := trueHV(kind)
		got := frontHV(runZDT(t, kind, 150, 7, 2, t.TempDir(), 0, false))
		t.Logf("ZDT%d: %.5f of %.5f (%.2f %%)", kind, got, want, 100*(want-got)/want)
		if got < 0.97*want {
			t.Errorf("ZDT%d: hypervolume %.5f, true front %.5f", kind, got, want)
		}
	}
}

// TestResume: a run stopped after generation 7 and resumed ends with a
// byte-identical checkpoint to an uninterrupted run, for 1 and 2 jobs.
func TestResume(t *testing.T) {
	ref := t.TempDir()
	runZDT(t, 1, 15, 3, 1, ref, 0, false)
	want, _ := os.ReadFile(filepath.Join(ref, CheckpointName))
	for _, jobs := range []int{1, 2} {
		dir := t.TempDir()
		runZDT(t, 1, 15, 3, jobs, dir, 7, false)
		cp, err := ReadCheckpoint(filepath.Join(dir, CheckpointName))
		if err != nil || cp.Generation != 7 {
			t.Fatalf("stopped at generation %d (%v)", cp.Generation, err)
		}
		runZDT(t, 1, 15, 3, jobs, dir, 0, true)
		got, _ := os.ReadFile(filepath.Join(dir, CheckpointName))
		if !bytes.Equal(stripTimes(got), stripTimes(want)) {
			t.Errorf("jobs %d: resumed checkpoint differs from the uninterrupted run's", jobs)
		}
		for _, f := range []string{PopulationName, FrontName, BestName} {
			a, _ := os.ReadFile(filepath.Join(dir, f))
			b, _ := os.ReadFile(filepath.Join(ref, f))
			if !bytes.Equal(a, b) {
				t.Errorf("jobs %d: %s differs", jobs, f)
			}
		}
	}
}

// stripTimes removes the wall-clock fields of a checkpoint's log.
func stripTimes(b []byte) []byte {
	return secondsRE.ReplaceAll(b, nil)
}

var secondsRE = regexp.MustCompile(`"seconds": [0-9.e+-]+,?`)

// TestGuardedDirectory: a fit directory is never silently replaced or
// mixed: starting without Resume over a checkpoint is refused (Force
// starts over), resuming with another data set or other settings is
// refused listing the differences, and a directory in use is refused.
func TestGuardedDirectory(t *testing.T) {
	prob, vars := zdt(1, 5)
	cfg := Config{Variables: vars, Objectives: []string{"f1", "f2"}, N: 8, Generations: 2, Seed: 1}
	dir := t.TempDir()
	vc1 := map[string]string{"dataset": "VC-1"}
	if _, err := Run(context.Background(), prob, cfg, Options{Dir: dir, Extra: vc1}); err != nil {
		t.Fatal(err)
	}
	cpPath := filepath.Join(dir, CheckpointName)
	before, _ := os.ReadFile(cpPath)
	var exists *ExistsError
	if _, err := Run(context.Background(), prob, cfg, Options{Dir: dir, Extra: vc1}); !errors.As(err, &exists) {
		t.Errorf("a new fit over a checkpoint: %v", err)
	}
	other := cfg
	other.N, other.Seed = 10, 2
	var mm *MismatchError
	_, err := Run(context.Background(), prob, other, Options{Dir: dir, Resume: true, Extra: map[string]string{"dataset": "VC-2"}})
	if !errors.As(err, &mm) {
		t.Fatalf("resume with other settings: %v", err)
	}
	for _, want := range []string{"dataset VC-1 (now VC-2)", "population 8 (now 10)", "seed 1 (now 2)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q: %v", want, err)
		}
	}
	if after, _ := os.ReadFile(cpPath); !bytes.Equal(before, after) {
		t.Error("a refused run changed the checkpoint")
	}
	l, err := dirlock.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	var held *dirlock.HeldError
	if _, err := Run(context.Background(), prob, cfg, Options{Dir: dir, Resume: true, Extra: vc1}); !errors.As(err, &held) {
		t.Errorf("a directory in use: %v", err)
	}
	l.Release()
	more := cfg
	more.Generations = 3
	if _, err := Run(context.Background(), prob, more, Options{Dir: dir, Resume: true, Extra: vc1}); err != nil {
		t.Errorf("resume with more generations: %v", err)
	}
	if _, err := Run(context.Background(), prob, other, Options{Dir: dir, Force: true}); err != nil {
		t.Errorf("Force: %v", err)
	}
}
