package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/spinerd/spinerd/ensemble"
	"github.com/spinerd/spinerd/internal/testenv"
)

func sameEnsembles(t *testing.T, what, a, b string, seeds int) {
	t.Helper()
	names := []string{ensemble.SummaryName}
	for s := 1; s <= seeds; s++ {
		names = append(names, ensemble.SeedFile(uint64(s)))
	}
	for _, n := range names {
		x, err1 := os.ReadFile(filepath.Join(a, n))
		y, err2 := os.ReadFile(filepath.Join(b, n))
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Errorf("%s: %s differs (%v, %v)", what, n, err1, err2)
		}
	}
}

// TestEnsembleClusterScripts runs the shard commands of the README's
// cluster examples locally: the Slurm array script as three array tasks
// (ids 3–5) and its merge script, and the Kubernetes Indexed Job's command
// for indexes 0–2 and a merge; both give exactly the files of one
// ensemble run.
func TestEnsembleClusterScripts(t *testing.T) {
	model := filepath.Join(testenv.Testdata(t), "models", "neurord-examples", "Model_mglur_diff.xml")
	dir := t.TempDir()
	single := filepath.Join(dir, "single")
	if code, _, errs := runCmd("ensemble", model, "--seeds", "1-6", "--runtime", "500", "--jobs", "2", "-q", "-o", single); code != 0 {
		t.Fatalf("ensemble: exit %d: %s", code, errs)
	}

	// Slurm: the scripts themselves, with a spinerd built from this tree.
	bin := filepath.Join(dir, "spinerd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	scripts := filepath.Join("..", "..", "examples", "cluster")
	slurm := filepath.Join(dir, "slurm")
	env := append(os.Environ(), "MODEL="+model, "SEEDS=1-6", "OUT="+slurm, "SPINERD="+bin, "SPINERD_ARGS=--runtime 500",
		"SLURM_ARRAY_TASK_MIN=3", "SLURM_ARRAY_TASK_COUNT=3", "SLURM_CPUS_PER_TASK=2")
	for task := 3; task <= 5; task++ {
		cmd := exec.Command("bash", filepath.Join(scripts, "slurm-array.sh"))
		cmd.Env = append(env, "SLURM_ARRAY_TASK_ID="+strconv.Itoa(task))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("array task %d: %v\n%s", task, err, out)
		}
	}
	cmd := exec.Command("bash", filepath.Join(scripts, "slurm-merge.sh"))
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("merge: %v\n%s", err, out)
	}
	sameEnsembles(t, "Slurm shards", single, filepath.Join(slurm, "all"), 6)
	for task := 3; task <= 5; task++ {
		m, err := ensemble.ReadManifest(filepath.Join(slurm, "shard-"+strconv.Itoa(task)))
		if err != nil || m.Shard != strconv.Itoa(task-2)+"/3" {
			t.Errorf("task %d: manifest %+v, %v", task, m, err)
		}
	}

	// Kubernetes Indexed Job: the manifest's command, in process.
	k8s := filepath.Join(dir, "k8s")
	var shards []string
	for i := 0; i < 3; i++ {
		t.Setenv("JOB_COMPLETION_INDEX", strconv.Itoa(i))
		out := filepath.Join(k8s, "shard-"+strconv.Itoa(i))
		if code, _, errs := runCmd("ensemble", model, "--seeds", "1-6", "--runtime", "500", "--shards", "3", "--jobs", "2", "-q", "-o", out); code != 0 {
			t.Fatalf("index %d: exit %d: %s", i, code, errs)
		}
		shards = append(shards, out)
	}
	os.Unsetenv("JOB_COMPLETION_INDEX")
	if code, _, errs := runCmd(append([]string{"merge"}, append(shards, "-o", filepath.Join(k8s, "all"))...)...); code != 0 {
		t.Fatalf("merge: exit %d: %s", code, errs)
	}
	sameEnsembles(t, "Kubernetes shards", single, filepath.Join(k8s, "all"), 6)

	// Bad input.
	for _, args := range [][]string{
		{"ensemble", model, "-q"},                                                 // no seeds
		{"ensemble", model, "--seeds", "5", "--seeds", "x", "-q"},                 // bad seeds
		{"ensemble", model, "--seeds", "1-3", "--shard", "4/3"},                   // bad shard
		{"ensemble", model, "--seeds", "1-3", "--method", "ode"},                  // not stochastic
		{"merge", filepath.Join(slurm, "shard-3"), "-o", filepath.Join(dir, "m")}, // shards missing
	} {
		if code, _, errs := runCmd(args...); code != 2 || errs == "" {
			t.Errorf("%v: exit %d, %q", args, code, errs)
		}
	}
}
