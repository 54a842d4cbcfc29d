// Package ensemble runs one compiled model for many seeds: on a worker
// pool (one goroutine per core by default), each seed streaming to its own
// trajectory in an output directory, then a summary trajectory with the
// mean, SD and quantiles of every species in every voxel at every output
// time. Runs resume (complete seeds are skipped), split across a cluster's
// job array by shards (Slurm array tasks, Kubernetes Indexed Jobs), and
// Merge combines shard directories into what a single run would have
// written, bit for bit.
//
// Reproducibility: a seed's trajectory is a function of the model, the
// settings and the seed only (the engines run one goroutine per seed and
// the files are written in traj's reproducible mode, without a creation
// time), and the summary is reduced from the per-seed files in the order
// of the seed list, so neither depends on --jobs, on sharding or on the
// order in which seeds finished.
package ensemble

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/spinerd/spinerd/gillespie"
	"github.com/spinerd/spinerd/internal/atomicfile"
	"github.com/spinerd/spinerd/internal/dirlock"
	"github.com/spinerd/spinerd/internal/version"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/nrdh5"
	"github.com/spinerd/spinerd/output"
	"github.com/spinerd/spinerd/traj"
)

// File names inside an ensemble directory.
const (
	ManifestName = "ensemble.json"
	SummaryName  = "summary.traj"
)

// SeedFile returns the name of seed's trajectory in an ensemble directory.
func SeedFile(seed uint64) string { return fmt.Sprintf("seed-%d.traj", seed) }

// SeedH5File returns the name of seed's NeuroRD HDF5 file (Format "h5").
func SeedH5File(seed uint64) string { return fmt.Sprintf("seed-%d.h5", seed) }

// DefaultQuantiles returns the quantiles of the summary unless told
// otherwise: 5, 25, 50, 75 and 95 %.
func DefaultQuantiles() []float64 { return []float64{0.05, 0.25, 0.5, 0.75, 0.95} }

// Options describe an ensemble run.
type Options struct {
	// Seeds is the whole study's seed list; its order is the order of
	// reduction.
	Seeds []uint64
	// Shard selects the part of Seeds this process runs (zero: all).
	Shard Shard
	// Jobs is the number of seeds run at once (default: the number of
	// CPUs).
	Jobs int
	// Dir is the output directory (created if needed).
	Dir string
	// Quantiles are the summary's quantiles (default DefaultQuantiles()).
	Quantiles []float64
	// Progress, if set, is called (from several goroutines, serialised)
	// as seeds advance.
	Progress func(Progress)
	// Format "h5" also writes each seed as NeuroRD's HDF5 file
	// (seed-N.h5) once its trajectory is complete; the trajectory stays
	// the resumable record. "" or "traj": trajectories only.
	Format string
	// Domains is gillespie.Options.Domains for every seed: how the
	// adaptive and multiscale methods cut the mesh into domains (0 chosen
	// from the mesh, 1 one block on any mesh, N ≥ 2 N domains). Each is
	// another decomposition, so another output for a seed.
	Domains int
}

// Progress reports an ensemble's advance.
type Progress struct {
	Seeds, Done, Skipped int
	// SimulatedMs is the simulated time of all seeds so far (complete
	// and partial), TotalMs what the whole shard will simulate.
	SimulatedMs, TotalMs float64
	// Events counts the engines' single events and leaps so far.
	Events int64
}

// Result says what a run did.
type Result struct {
	Ran, Skipped []uint64
	// Redone lists seeds whose files were damaged and run again.
	Redone  []Damaged
	Summary string
}

// Damaged is a seed file found damaged on resume.
type Damaged struct {
	Seed   uint64
	Reason string
}

// Manifest is ensemble.json: what the directory holds, checked on resume
// and by Merge.
type Manifest struct {
	SpinerdVersion string    `json:"spinerd_version"`
	ModelSource    string    `json:"model_source"`
	ModelSHA256    string    `json:"model_sha256"`
	Method         string    `json:"method"`
	Tolerance      float64   `json:"tolerance,omitempty"`
	FixedStepMs    float64   `json:"fixed_step_ms,omitempty"`
	StartMs        float64   `json:"start_ms"`
	EndMs          float64   `json:"end_ms"`
	Seeds          string    `json:"seeds"`
	Shard          string    `json:"shard,omitempty"`
	ShardSeeds     string    `json:"shard_seeds"`
	Quantiles      []float64 `json:"quantiles"`
	InitialState   string    `json:"initial_state,omitempty"`
	OneBlock       bool      `json:"one_block,omitempty"` // Options.Domains 1 (its name before domains was written)
	Domains        int       `json:"domains,omitempty"`   // Options.Domains when ≥ 2
}

func modelHash(sys *model.System) string {
	h := sha256.Sum256([]byte(sys.Model.Text))
	return hex.EncodeToString(h[:])
}

func newManifest(sys *model.System, opt Options, shardSeeds []uint64) *Manifest {
	pv := sys.Provenance()
	m := &Manifest{
		SpinerdVersion: version.String(), ModelSource: sys.Model.Source, ModelSHA256: modelHash(sys),
		Method: pv.Method, Tolerance: pv.Tolerance, FixedStepMs: pv.FixedStepMs, StartMs: sys.StartMs, EndMs: sys.EndMs, InitialState: sys.InitialState,
		Seeds: FormatSeeds(opt.Seeds), ShardSeeds: FormatSeeds(shardSeeds), Quantiles: opt.Quantiles, OneBlock: opt.Domains == 1,
	}
	if opt.Domains >= 2 {
		m.Domains = opt.Domains
	}
	if !opt.Shard.All() {
		m.Shard = opt.Shard.String()
	}
	return m
}

// sameStudy reports how two manifests differ in what makes their runs
// comparable ("" when they do not).
func sameStudy(a, b *Manifest) string {
	switch {
	case a.ModelSHA256 != b.ModelSHA256:
		return fmt.Sprintf("the model differs (%s vs %s)", a.ModelSource, b.ModelSource)
	case a.Method != b.Method:
		return fmt.Sprintf("the method differs (%s vs %s)", a.Method, b.Method)
	case a.Tolerance != b.Tolerance:
		return fmt.Sprintf("the tolerance differs (%g vs %g)", a.Tolerance, b.Tolerance)
	case a.FixedStepMs != b.FixedStepMs:
		return fmt.Sprintf("the fixed step differs (%g vs %g ms)", a.FixedStepMs, b.FixedStepMs)
	case a.StartMs != b.StartMs || a.EndMs != b.EndMs:
		return fmt.Sprintf("the run time differs (%g–%g vs %g–%g ms)", a.StartMs, a.EndMs, b.StartMs, b.EndMs)
	case a.InitialState != b.InitialState:
		return fmt.Sprintf("the initial state differs (%q vs %q)", a.InitialState, b.InitialState)
	case a.OneBlock != b.OneBlock:
		return fmt.Sprintf("one block differs (one_block %v vs %v)", a.OneBlock, b.OneBlock)
	case a.Domains != b.Domains:
		return fmt.Sprintf("the domains differ (domains %d vs %d; 0: chosen from the mesh)", a.Domains, b.Domains)
	case a.Seeds != b.Seeds:
		return fmt.Sprintf("the seed list differs (%s vs %s)", a.Seeds, b.Seeds)
	case !slices.Equal(a.Quantiles, b.Quantiles):
		return fmt.Sprintf("the quantiles differ (%v vs %v)", a.Quantiles, b.Quantiles)
	}
	return ""
}

// ReadManifest reads DIR/ensemble.json.
func ReadManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestName), err)
	}
	return &m, nil
}

func writeManifest(dir string, m *Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, ManifestName), func(w io.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	})
}

// verify reports whether path is a complete, undamaged trajectory of this
// study and seed: its header matches, it was closed, and every chunk's
// checksum holds. reason says what is wrong with a file that exists.
func verify(path string, sys *model.System, seed uint64) (ok bool, reason string) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return false, ""
	}
	r, err := traj.Open(path)
	if err != nil {
		return false, err.Error()
	}
	defer r.Close()
	h := r.Header()
	if cut, msg := r.Truncated(); cut {
		return false, msg
	}
	if h.Seed != seed || h.Method != sys.Method.String() || h.ModelText != sys.Model.Text || h.StartMs != sys.StartMs || h.EndMs != sys.EndMs || h.Extra["initial_state"] != sys.InitialState {
		return false, "it is a run of another model, method, seed or run time"
	}
	for set := range h.Sets {
		if err := r.Frames(set, math.Inf(-1), math.Inf(1), func(float64, []int64, []float64) error { return nil }); err != nil {
			return false, err.Error()
		}
	}
	return true, ""
}

// Run runs the shard's seeds that are not yet complete in opt.Dir, then
// writes the summary of the shard's seeds. A cancelled ctx stops the run:
// seeds in flight leave only .part files, which a rerun replaces.
func Run(ctx context.Context, sys *model.System, opt Options) (*Result, error) {
	if !sys.Method.Info().Stochastic {
		return nil, fmt.Errorf("an ensemble needs a stochastic method (%s): a deterministic run does not depend on the seed", model.MethodNames(model.Stochastic))
	}
	if len(opt.Seeds) == 0 {
		return nil, errors.New("no seeds")
	}
	if opt.Jobs <= 0 {
		opt.Jobs = runtime.NumCPU()
	}
	if opt.Quantiles == nil {
		opt.Quantiles = DefaultQuantiles()
	}
	for _, q := range opt.Quantiles {
		if !(q >= 0 && q <= 1) {
			return nil, fmt.Errorf("quantile %g is outside [0, 1]", q)
		}
	}
	seeds := opt.Shard.Select(opt.Seeds)
	if len(seeds) == 0 {
		return nil, fmt.Errorf("shard %s of %d seeds is empty", opt.Shard, len(opt.Seeds))
	}
	if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	lock, err := dirlock.Acquire(opt.Dir)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	man := newManifest(sys, opt, seeds)
	if old, err := ReadManifest(opt.Dir); err == nil {
		if d := sameStudy(old, man); d != "" || old.ShardSeeds != man.ShardSeeds {
			if d == "" {
				d = fmt.Sprintf("the shard differs (seeds %s vs %s)", old.ShardSeeds, man.ShardSeeds)
			}
			return nil, fmt.Errorf("%s holds another ensemble: %s; use another output directory", opt.Dir, d)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := writeManifest(opt.Dir, man); err != nil {
		return nil, err
	}

	res := &Result{}
	var todo []uint64
	for _, s := range seeds {
		ok, reason := verify(filepath.Join(opt.Dir, SeedFile(s)), sys, s)
		switch {
		case ok:
			res.Skipped = append(res.Skipped, s)
		case reason != "":
			res.Redone = append(res.Redone, Damaged{s, reason})
			fallthrough
		default:
			todo = append(todo, s)
		}
	}
	span := sys.EndMs - sys.StartMs
	prog := &tracker{fn: opt.Progress, p: Progress{Seeds: len(seeds), Skipped: len(res.Skipped), Done: len(res.Skipped),
		TotalMs: span * float64(len(seeds)), SimulatedMs: span * float64(len(res.Skipped))}}
	prog.report()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan uint64)
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	for w := 0; w < min(opt.Jobs, max(len(todo), 1)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seed := range jobs {
				if err := runSeed(ctx, sys, opt.Dir, seed, opt.Domains, prog); err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		}()
	}
feed:
	for _, s := range todo {
		select {
		case jobs <- s:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		return res, firstErr
	}
	res.Ran = todo
	if opt.Format == "h5" {
		if err := writeH5(ctx, sys, opt.Dir, seeds); err != nil {
			return res, err
		}
	} else if opt.Format != "" && opt.Format != "traj" {
		return res, fmt.Errorf("ensemble seed files are traj or h5, not %q", opt.Format)
	}
	files := make([]string, len(seeds))
	for i, s := range seeds {
		files[i] = filepath.Join(opt.Dir, SeedFile(s))
	}
	res.Summary = filepath.Join(opt.Dir, SummaryName)
	if err := Summarize(files, res.Summary, opt.Quantiles); err != nil {
		return res, err
	}
	return res, nil
}

// writeH5 writes seed-N.h5 from each seed's trajectory where it is missing
// or unreadable (the trajectory is the resumable record).
func writeH5(ctx context.Context, sys *model.System, dir string, seeds []uint64) error {
	for _, s := range seeds {
		if err := ctx.Err(); err != nil {
			return err
		}
		dst := filepath.Join(dir, SeedH5File(s))
		if r, err := nrdh5.Open(dst); err == nil {
			ok := len(r.Trials) == 1 && r.Trials[0].Seed == int64(s)
			r.Close()
			if ok {
				continue
			}
		}
		r, err := traj.Open(filepath.Join(dir, SeedFile(s)))
		if err != nil {
			return err
		}
		f, _ := output.FormatByName("h5")
		h := *r.Header()
		sink, err := f.Create(dst, &h, output.CreateOptions{System: sys})
		if err == nil {
			err = output.Copy(r, sink)
		}
		r.Close()
		if err != nil {
			return fmt.Errorf("seed %d: %w", s, err)
		}
	}
	return nil
}

// tracker serialises progress reports.
type tracker struct {
	mu sync.Mutex
	fn func(Progress)
	p  Progress
}

func (t *tracker) report() {
	if t.fn != nil {
		t.fn(t.p)
	}
}

func (t *tracker) add(dMs float64, done bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.p.SimulatedMs += dMs
	if done {
		t.p.Done++
	}
	t.report()
}

func runSeed(ctx context.Context, sys *model.System, dir string, seed uint64, domains int, prog *tracker) error {
	path := filepath.Join(dir, SeedFile(seed))
	h := output.Header(sys, seed, traj.Counts)
	h.Created = ""
	w, err := output.Create("traj", path, h, output.CreateOptions{Reproducible: true})
	if err != nil {
		return err
	}
	last := sys.StartMs
	var lastReport atomic.Int64
	_, err = gillespie.Run(ctx, sys, gillespie.Options{Workers: 1, Domains: domains, Progress: func(t float64) {
		// Report at most every 1 % of the run.
		if k := int64(100 * (t - sys.StartMs) / math.Max(sys.EndMs-sys.StartMs, 1e-300)); k > lastReport.Load() {
			lastReport.Store(k)
			prog.add(t-last, false)
			last = t
		}
	}}, seed, w)
	if err != nil {
		w.Abort()
		if errors.Is(err, context.Canceled) {
			return err
		}
		return fmt.Errorf("seed %d: %w", seed, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("seed %d: %w", seed, err)
	}
	prog.add(sys.EndMs-last, true)
	return nil
}
