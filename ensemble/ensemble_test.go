package ensemble

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat"

	"github.com/spinerd/spinerd/internal/dirlock"
	"github.com/spinerd/spinerd/internal/testenv"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
	"github.com/spinerd/spinerd/runfile"
	"github.com/spinerd/spinerd/traj"
)

func TestParseSeeds(t *testing.T) {
	got, err := ParseSeeds("1-4, 10,7")
	if err != nil || !slices.Equal(got, []uint64{1, 2, 3, 4, 10, 7}) {
		t.Errorf("ParseSeeds = %v, %v", got, err)
	}
	if s := FormatSeeds(got); s != "1-4,10,7" {
		t.Errorf("FormatSeeds = %q", s)
	}
	for _, bad := range []string{"", "0", "5-3", "a", "1,1", "2-x", "-3", "1-1000000,1000001-1000002"} {
		if _, err := ParseSeeds(bad); err == nil {
			t.Errorf("ParseSeeds(%q) accepted", bad)
		}
	}
	// The last seeds there are: the range ends at 2^64−1 without wrapping.
	got, err = ParseSeeds("18446744073709551614-18446744073709551615")
	if err != nil || !slices.Equal(got, []uint64{1<<64 - 2, 1<<64 - 1}) {
		t.Errorf("ParseSeeds at the top = %v, %v", got, err)
	}
	if got, err := ParseSeeds("1-1000000"); err != nil || len(got) != 1_000_000 {
		t.Errorf("a million seeds: %d, %v", len(got), err)
	}
}

func TestShards(t *testing.T) {
	seeds, _ := ParseSeeds("1-10")
	var all []uint64
	for i := 1; i <= 3; i++ {
		sh, err := ParseShard(strings.Repeat(" ", i-1) + string(rune('0'+i)) + "/3")
		if err != nil {
			t.Fatal(err)
		}
		part := sh.Select(seeds)
		if len(part) < 3 || len(part) > 4 {
			t.Errorf("shard %s: %v", sh, part)
		}
		all = append(all, part...)
	}
	if !slices.Equal(all, seeds) {
		t.Errorf("shards cover %v", all)
	}
	for _, bad := range []string{"0/3", "4/3", "1/0", "2", "a/b"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	sh, ok, err := ShardFromEnv(env(map[string]string{"SLURM_ARRAY_TASK_ID": "12", "SLURM_ARRAY_TASK_MIN": "10", "SLURM_ARRAY_TASK_COUNT": "4"}), 0)
	if !ok || err != nil || sh != (Shard{3, 4}) {
		t.Errorf("Slurm: %v %v %v", sh, ok, err)
	}
	sh, ok, err = ShardFromEnv(env(map[string]string{"JOB_COMPLETION_INDEX": "0", "SPINERD_SHARDS": "5"}), 0)
	if !ok || err != nil || sh != (Shard{1, 5}) {
		t.Errorf("Kubernetes: %v %v %v", sh, ok, err)
	}
	sh, ok, err = ShardFromEnv(env(map[string]string{"JOB_COMPLETION_INDEX": "4"}), 5)
	if !ok || err != nil || sh != (Shard{5, 5}) {
		t.Errorf("Kubernetes with --shards: %v %v %v", sh, ok, err)
	}
	if _, _, err := ShardFromEnv(env(map[string]string{"JOB_COMPLETION_INDEX": "1"}), 0); err == nil {
		t.Error("Kubernetes index without a shard count accepted")
	}
	if _, ok, _ := ShardFromEnv(env(nil), 0); ok {
		t.Error("shard found in an empty environment")
	}
}

func TestQuantile(t *testing.T) {
	x := []float64{1, 2, 3, 4, 10}
	for _, c := range []struct{ q, want float64 }{{0, 1}, {1, 10}, {0.5, 3}, {0.25, 2}, {0.9, 7.6}} {
		if got := Quantile(x, c.q); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Quantile(%g) = %g, want %g", c.q, got, c.want)
		}
	}
}

// spine compiles the spine model HFS file, cut to runtime ms.
func spine(t testing.TB, runtime float64) *model.System {
	t.Helper()
	path := filepath.Join(testenv.Testdata(t), "models", "maki-marttunen-2020", "Model_HFS1.xml")
	sys, _, err := neurord.Compile(path, model.Options{RuntimeMs: runtime})
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

// diffusion is NeuroRD's 9-voxel mGluR example, cut to 500 ms.
func diffusion(t testing.TB) *model.System {
	t.Helper()
	path := filepath.Join(testenv.Testdata(t), "models", "neurord-examples", "Model_mglur_diff.xml")
	sys, _, err := neurord.Compile(path, model.Options{RuntimeMs: 500})
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameDirs checks that every seed file and the summary are identical.
func sameDirs(t *testing.T, what, a, b string, seeds []uint64) {
	t.Helper()
	for _, s := range seeds {
		if !bytes.Equal(read(t, filepath.Join(a, SeedFile(s))), read(t, filepath.Join(b, SeedFile(s)))) {
			t.Errorf("%s: seed %d differs", what, s)
		}
	}
	if !bytes.Equal(read(t, filepath.Join(a, SummaryName)), read(t, filepath.Join(b, SummaryName))) {
		t.Errorf("%s: summaries differ", what)
	}
}

// TestReproducibleEnsembles: 8 seeds with 1 and 2 jobs and as 3 shards
// plus a merge give byte-identical seed files and summaries.
func TestReproducibleEnsembles(t *testing.T) {
	sys := diffusion(t)
	seeds, _ := ParseSeeds("1-8")
	root := t.TempDir()
	run := func(dir string, jobs int, sh Shard) *Result {
		res, err := Run(context.Background(), sys, Options{Seeds: seeds, Jobs: jobs, Dir: dir, Shard: sh})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	one, two := filepath.Join(root, "j1"), filepath.Join(root, "j2")
	run(one, 1, Shard{})
	run(two, 2, Shard{})
	sameDirs(t, "--jobs 1 vs 2", one, two, seeds)
	var shards []string
	for i := 1; i <= 3; i++ {
		d := filepath.Join(root, "shard", string(rune('0'+i)))
		res := run(d, 2, Shard{i, 3})
		if len(res.Ran) < 2 || len(res.Ran) > 3 {
			t.Errorf("shard %d ran %v", i, res.Ran)
		}
		shards = append(shards, d)
	}
	merged := filepath.Join(root, "merged")
	if _, err := Merge(shards, merged, nil); err != nil {
		t.Fatal(err)
	}
	sameDirs(t, "shards + merge vs one run", one, merged, seeds)
	m1, _ := ReadManifest(one)
	m2, _ := ReadManifest(merged)
	if m1.Quantiles == nil || m1.ShardSeeds != m2.ShardSeeds || m2.Shard != "" {
		t.Errorf("manifests: %+v vs %+v", m1, m2)
	}
	// Missing shard; shards of another study.
	if _, err := Merge(shards[:2], filepath.Join(root, "m2"), nil); err == nil || !strings.Contains(err.Error(), "6-8") {
		t.Errorf("missing shard: %v", err)
	}
	other := filepath.Join(root, "other")
	sys2 := diffusion(t)
	sys2.EndMs = 400
	if _, err := Run(context.Background(), sys2, Options{Seeds: seeds, Jobs: 2, Dir: other, Shard: Shard{3, 3}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Merge(append(shards[:2:2], other), filepath.Join(root, "m3"), nil); err == nil || !strings.Contains(err.Error(), "run time differs") {
		t.Errorf("mixed studies: %v", err)
	}
	// Reusing a directory for another study is refused.
	if _, err := Run(context.Background(), sys2, Options{Seeds: seeds, Dir: one}); err == nil || !strings.Contains(err.Error(), "another ensemble") {
		t.Errorf("reused directory: %v", err)
	}
	// ... and so is resuming it with another decomposition (one block or
	// another count of domains gives other output for a seed on a mesh
	// with domains).
	if _, err := Run(context.Background(), sys, Options{Seeds: seeds, Dir: one, Domains: 1}); err == nil || !strings.Contains(err.Error(), "one block differs") {
		t.Errorf("resumed with Domains 1: %v", err)
	}
	if _, err := Run(context.Background(), sys, Options{Seeds: seeds, Dir: one, Domains: 2}); err == nil || !strings.Contains(err.Error(), "domains differ") {
		t.Errorf("resumed with Domains 2: %v", err)
	}
}

// TestResume: an ensemble cancelled after three seeds, then rerun, ends
// with the same files as an uninterrupted run and reruns only the missing
// seeds; a damaged seed file is rerun too.
func TestResume(t *testing.T) {
	sys := diffusion(t)
	seeds, _ := ParseSeeds("1-6")
	root := t.TempDir()
	full := filepath.Join(root, "full")
	if _, err := Run(context.Background(), sys, Options{Seeds: seeds, Jobs: 2, Dir: full}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "cut")
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Run(ctx, sys, Options{Seeds: seeds, Jobs: 1, Dir: dir, Progress: func(p Progress) {
		if p.Done >= 3 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, SummaryName)); err == nil {
		t.Error("an interrupted run wrote a summary")
	}
	var done []uint64
	for _, s := range seeds {
		if ok, _ := verify(filepath.Join(dir, SeedFile(s)), sys, s); ok {
			done = append(done, s)
		}
	}
	if len(done) < 3 || len(done) == len(seeds) {
		t.Fatalf("complete after the interruption: %v", done)
	}
	res, err := Run(context.Background(), sys, Options{Seeds: seeds, Jobs: 2, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Skipped, done) || len(res.Ran)+len(done) != len(seeds) {
		t.Errorf("resume skipped %v and ran %v; complete before: %v", res.Skipped, res.Ran, done)
	}
	sameDirs(t, "resumed vs uninterrupted", full, dir, seeds)
	// A damaged file (cut short) is rerun.
	p := filepath.Join(dir, SeedFile(2))
	b := read(t, p)
	os.WriteFile(p, b[:len(b)/2], 0o644)
	res, err = Run(context.Background(), sys, Options{Seeds: seeds, Jobs: 2, Dir: dir})
	if err != nil || !slices.Equal(res.Ran, []uint64{2}) {
		t.Errorf("after damaging seed 2: ran %v, %v", res.Ran, err)
	}
	sameDirs(t, "repaired vs uninterrupted", full, dir, seeds)
	// A complete file with one flipped bit inside a chunk is found by its
	// checksum, reported and rerun.
	p = filepath.Join(dir, SeedFile(4))
	b = read(t, p)
	b[len(b)/2] ^= 0x10
	os.WriteFile(p, b, 0o644)
	res, err = Run(context.Background(), sys, Options{Seeds: seeds, Jobs: 2, Dir: dir})
	if err != nil || !slices.Equal(res.Ran, []uint64{4}) || len(res.Redone) != 1 || res.Redone[0].Seed != 4 || res.Redone[0].Reason == "" {
		t.Errorf("after flipping a bit of seed 4: ran %v, redone %+v, %v", res.Ran, res.Redone, err)
	}
	sameDirs(t, "bit flip repaired vs uninterrupted", full, dir, seeds)
}

// TestLocked: a directory another process is writing is refused, naming
// the holder, and nothing in it changes.
func TestLocked(t *testing.T) {
	sys := diffusion(t)
	seeds, _ := ParseSeeds("1-2")
	dir := t.TempDir()
	l, err := dirlock.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), sys, Options{Seeds: seeds, Jobs: 1, Dir: dir})
	var held *dirlock.HeldError
	if !errors.As(err, &held) || !strings.Contains(err.Error(), "pid ") {
		t.Errorf("second writer: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("the refused run wrote into the directory: %v", ents)
	}
	l.Release()
	if _, err := Run(context.Background(), sys, Options{Seeds: seeds, Jobs: 1, Dir: dir}); err != nil {
		t.Errorf("after release: %v", err)
	}
}

// TestSummaryStatistics: over 64 seeds, the summary's mean and SD of Ca,
// PKAc and GluR1_memb equal a direct computation from the seed files to
// 1e-12 (relative), and the median is the middle of the sorted values.
// The default test runs the first 2.3 s of the HFS file (rest, then 30
// pulses), when PKAc is still zero; the long one (-tags long) the whole
// 12 s.
func TestSummaryStatistics(t *testing.T) {
	checkSummary(t, spine(t, 2300), []string{"Ca", "GluR1_memb"}, []string{"PKAc"})
}

// runSummary runs an ensemble of sys for seeds in a temporary directory
// and opens its summary (closed at the end of the test).
func runSummary(t *testing.T, sys *model.System, seeds []uint64) (string, *traj.Reader) {
	t.Helper()
	dir := t.TempDir()
	if _, err := Run(context.Background(), sys, Options{Seeds: seeds, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	sum, err := traj.Open(filepath.Join(dir, SummaryName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sum.Close() })
	return dir, sum
}

func checkSummary(t *testing.T, sys *model.System, varying, others []string) {
	seeds, _ := ParseSeeds("1-64")
	dir, sum := runSummary(t, sys, seeds)
	h := sum.Header()
	if h.Values != traj.Floats || h.Sets[0].Name != "mean" || h.Sets[1].Name != "sd" || h.Sets[4].Name != "q0.5" {
		t.Fatalf("summary sets %+v", h.Sets)
	}
	for _, id := range append(varying, others...) {
		s, ok := sys.SpeciesIndex(id)
		if !ok {
			t.Fatalf("no species %s", id)
		}
		var per [][]float64
		var times []float64
		for _, seed := range seeds {
			r, err := traj.Open(filepath.Join(dir, SeedFile(seed)))
			if err != nil {
				t.Fatal(err)
			}
			ts, v, err := runfile.Series(r, 0, s, 0)
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
			per, times = append(per, v), ts
		}
		_, mean, _ := runfile.Series(sum, 0, s, 0)
		_, sd, _ := runfile.Series(sum, 1, s, 0)
		_, med, _ := runfile.Series(sum, 4, s, 0)
		varied := false
		for f := range times {
			x := make([]float64, len(seeds))
			for i := range seeds {
				x[i] = per[i][f]
			}
			m, d := stat.MeanStdDev(x, nil)
			if math.Abs(mean[f]-m) > 1e-12*math.Max(1, math.Abs(m)) || math.Abs(sd[f]-d) > 1e-12*math.Max(1, d) {
				t.Errorf("%s at %g ms: summary %.17g ± %.17g, direct %.17g ± %.17g", id, times[f], mean[f], sd[f], m, d)
				break
			}
			slices.Sort(x)
			if med[f] != (x[31]+x[32])/2 {
				t.Errorf("%s at %g ms: median %g, want %g", id, times[f], med[f], (x[31]+x[32])/2)
				break
			}
			varied = varied || d > 0
		}
		if !varied && slices.Contains(varying, id) {
			t.Errorf("%s never varies between seeds", id)
		}
	}
}

// TestFormatH5Resumes: with Format "h5" every seed also gets seed-N.h5
// (one trial, its seed) from its complete trajectory; a resumed run
// rewrites a missing or damaged .h5 with the same bytes and keeps the
// trajectories as they are.
func TestFormatH5Resumes(t *testing.T) {
	sys := diffusion(t)
	seeds, _ := ParseSeeds("1-3")
	dir := t.TempDir()
	if _, err := Run(context.Background(), sys, Options{Seeds: seeds, Jobs: 2, Dir: dir, Format: "h5"}); err != nil {
		t.Fatal(err)
	}
	want := map[uint64][]byte{}
	for _, s := range seeds {
		want[s] = read(t, filepath.Join(dir, SeedH5File(s)))
	}
	os.Remove(filepath.Join(dir, SeedH5File(1)))
	os.WriteFile(filepath.Join(dir, SeedH5File(2)), want[2][:len(want[2])/2], 0o644)
	res, err := Run(context.Background(), sys, Options{Seeds: seeds, Jobs: 2, Dir: dir, Format: "h5"})
	if err != nil || len(res.Ran) != 0 {
		t.Fatalf("resume ran %v: %v", res.Ran, err)
	}
	for _, s := range seeds {
		if got := read(t, filepath.Join(dir, SeedH5File(s))); !bytes.Equal(got, want[s]) {
			t.Errorf("seed %d: the rewritten .h5 differs", s)
		}
	}
}
