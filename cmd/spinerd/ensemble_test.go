package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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

// TestEnsembleDomains: ensemble --domains N runs each seed as run
// --domains N --seed S does (the same counts), a directory of one
// decomposition is not resumed with another, and --domains 2 is another
// decomposition than the default (one block on this small mesh).
func TestEnsembleDomains(t *testing.T) {
	path := writeModel(t, nil)
	dir := t.TempDir()
	counts := func(traj string) string {
		csv := traj + ".csv"
		mustRun(t, "export", traj, "--format", "csv", "-o", csv)
		b, err := os.ReadFile(csv)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	ens := filepath.Join(dir, "ens")
	mustRun(t, "ensemble", path, "--seeds", "3-4", "--domains", "2", "--runtime", "20", "--jobs", "2", "-q", "-o", ens)
	one := filepath.Join(dir, "one")
	mustRun(t, "ensemble", path, "--seeds", "3-4", "--runtime", "20", "--jobs", "2", "-q", "-o", one)
	for _, seed := range []string{"3", "4"} {
		r := filepath.Join(dir, "run"+seed+".traj")
		mustRun(t, "run", path, "--seed", seed, "--domains", "2", "--runtime", "20", "-q", "-o", r)
		got := counts(filepath.Join(ens, "seed-"+seed+".traj"))
		if want := counts(r); got != want {
			t.Errorf("seed %s: ensemble --domains 2 and run --domains 2 differ", seed)
		}
		if got == counts(filepath.Join(one, "seed-"+seed+".traj")) {
			t.Errorf("seed %s: --domains 2 gave the default decomposition's output", seed)
		}
	}
	// a count the mesh's diffusion cannot take runs as one block, and says so
	fast := writeModel(t, []edit{{file: "Rxn.xml", old: `kdiff="10" kdiffunit="mu2/s"`, new: `kdiff="1e7" kdiffunit="mu2/s"`}})
	code, _, errs := runCmd("ensemble", fast, "--seeds", "1", "--domains", "3", "--runtime", "0.001", "-o", filepath.Join(dir, "fast"))
	if want := "note: --domains 3: the mesh (18 voxels) runs as one block: diffusion across the cut is too fast"; code != 0 || !strings.Contains(errs, want) {
		t.Errorf("too fast a mesh: exit %d, want a note %q:\n%s", code, want, errs)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--domains", "3"}, "domains differ"},
		{[]string{"--one-block"}, "one block differs"},
	} {
		code, _, errs := runCmd(append([]string{"ensemble", path, "--seeds", "3-4", "--runtime", "20", "-q", "-o", ens}, c.args...)...)
		if code == 0 || !strings.Contains(errs, c.want) {
			t.Errorf("resumed with %v: exit %d: %s", c.args, code, errs)
		}
	}
}
