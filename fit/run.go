package fit

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spinerd/spinerd/internal/atomicfile"
	"github.com/spinerd/spinerd/internal/dirlock"
)

// File names in a fit's output directory.
const (
	CheckpointName = "checkpoint.json"
	PopulationName = "population.json"
	FrontName      = "front.json"
	BestName       = "best.json"
	LogName        = "log.tsv"
)

// Generation summarises one generation.
type Generation struct {
	Gen         int       `json:"generation"`
	Evaluations int       `json:"evaluations"` // in this generation
	Seconds     float64   `json:"seconds"`     // wall time of its evaluations
	Hypervolume float64   `json:"hypervolume"` // of the first front
	HVStdErr    float64   `json:"hypervolume_se,omitempty"`
	Best        []float64 `json:"best"` // per objective, over the population
	Front0      int       `json:"front0"`
	Failed      int       `json:"failed"` // rows with MaxErr objectives
}

// EvalsPerSecond is the generation's evaluation rate.
func (g Generation) EvalsPerSecond() float64 {
	if g.Seconds <= 0 {
		return 0
	}
	return float64(g.Evaluations) / g.Seconds
}

// Row is an individual as checkpoints and result files store it.
type Row struct {
	Params     map[string]float64 `json:"params"`
	X          []float64          `json:"x"`
	Objectives []float64          `json:"objectives"`
	Rank       int                `json:"emoo_rank"`
	Dist       float64            `json:"emoo_dist"`
	Fitness    int                `json:"emoo_fitness"`
	Failed     bool               `json:"failed,omitempty"`
}

// Checkpoint is the state after a completed generation.
type Checkpoint struct {
	FormatVersion int          `json:"format_version"`
	Variables     []string     `json:"variables"`
	Low, High     []float64    `json:"-"`
	Bounds        [][2]float64 `json:"bounds"`
	Objectives    []string     `json:"objectives"`
	N             int          `json:"population_size"`
	C             int          `json:"capacity"`
	Generations   int          `json:"generations"`
	EtaC          float64      `json:"eta_c"`
	EtaM          float64      `json:"eta_m"`
	PM            float64      `json:"p_m"`
	FinishGen     int          `json:"finishgen"`
	DEtaC, DEtaM  float64      `json:"-"`
	FixedPara     int          `json:"fixed_parameters"`
	DropDup       bool         `json:"drop_duplicates"`
	Variation     string       `json:"variation"`
	Seed          uint64       `json:"seed"`
	RefPoint      []float64    `json:"reference_point"`
	// Generation is the last completed generation; RNG is the state of
	// the generator that the next one starts with (PCG, binary, base64).
	Generation int          `json:"generation"`
	RNG        string       `json:"rng_state"`
	Population []Row        `json:"population"`
	Log        []Generation `json:"log"`
	Extra      any          `json:"extra,omitempty"`
}

// Options of Run.
type Options struct {
	// Dir receives the checkpoint and the result files.
	Dir string
	// Resume continues from Dir's checkpoint (it must match the config
	// and Extra). Without it, a checkpoint in Dir is an *ExistsError
	// unless Force is set, which starts over and replaces it.
	Resume bool
	Force  bool
	// StopAfter, if positive, stops after that generation (tests; the run
	// can be resumed).
	StopAfter int
	// Recorder, if set, follows the run's progress.
	Recorder Recorder
	// Extra is stored in the checkpoint (e.g. the data set).
	Extra any
}

// Recorder follows a fit's progress, in the manner of gonum's
// optimize.Recorder: Init once before the first evaluation, Evaluated
// after every evaluation (from the worker goroutines, concurrently),
// Generation after every completed generation (from Run's goroutine).
type Recorder interface {
	// Init gives the number of evaluations of the whole run and how many
	// of them a resumed run has already done.
	Init(total, done int)
	Evaluated()
	Generation(Generation)
}

type counting struct {
	Problem
	rec Recorder
}

func (c counting) Evaluate(ctx context.Context, p []float64) ([]float64, error) {
	f, err := c.Problem.Evaluate(ctx, p)
	c.rec.Evaluated()
	return f, err
}

// Evaluations returns the number of evaluations of a whole run of cfg:
// the initial population, then C − N children per generation.
func (c Config) Evaluations() int {
	if c.C == 0 {
		c.C = 2 * c.N
	}
	return c.N + (c.Generations-1)*(c.C-c.N)
}

// Run optimises prob. It writes Dir/checkpoint.json after every
// generation and population.json, front.json, best.json and log.tsv at
// the end (and at every checkpoint), each atomically. A cancelled ctx
// stops after the last complete generation.
func Run(ctx context.Context, prob Problem, cfg Config, opt Options) ([]*Individual, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	rec := opt.Recorder
	if rec == nil {
		rec = nopRecorder{}
	}
	prob = counting{prob, rec}
	if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("fit: %w", err)
	}
	lock, err := dirlock.Acquire(opt.Dir)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	cpPath := filepath.Join(opt.Dir, CheckpointName)
	if _, err := os.Stat(cpPath); err == nil && !opt.Resume && !opt.Force {
		return nil, &ExistsError{Dir: opt.Dir}
	}
	var pop []*Individual
	var log []Generation
	start := 1
	if opt.Resume {
		cp, err := ReadCheckpoint(cpPath)
		if err != nil {
			return nil, err
		}
		if err := cp.check(); err != nil {
			return nil, fmt.Errorf("cannot resume %s: it is damaged: %w", cpPath, err)
		}
		if diffs := cp.differences(&cfg, opt.Extra); len(diffs) > 0 {
			return nil, &MismatchError{Path: cpPath, Differences: diffs}
		}
		pop, log, start = cp.individuals(), cp.Log, cp.Generation+1
		cfg.RefPoint = cp.RefPoint
		done := 0
		for _, g := range log {
			done += g.Evaluations
		}
		rec.Init(cfg.Evaluations(), done)
		if start >= cfg.Generations {
			return pop, writeResults(opt.Dir, &cfg, pop)
		}
	} else {
		rec.Init(cfg.Evaluations(), 0)
		r := rng(cfg.Seed, 0)
		pop = cfg.initial(r)
		t0 := time.Now()
		n, err := cfg.evaluate(ctx, prob, pop)
		if err != nil {
			return nil, err
		}
		pop = assignFitness(pop)
		if cfg.RefPoint == nil {
			cfg.RefPoint = refPoint(pop)
		}
		g := cfg.summary(0, pop, n, time.Since(t0))
		log = append(log, g)
		if err := checkpoint(opt, &cfg, 0, pop, log); err != nil {
			return nil, err
		}
		rec.Generation(g)
	}
	etaC, etaM := cfg.EtaC, cfg.EtaM
	for gen := start; gen < cfg.Generations; gen++ {
		if opt.StopAfter > 0 && gen > opt.StopAfter {
			break
		}
		if cfg.FinishGen > 0 && gen > cfg.FinishGen {
			etaC += cfg.DEtaC
			etaM += cfg.DEtaM
		}
		r := rng(cfg.Seed, gen)
		pool := selection(pop, r)
		children := cfg.crossover(pool, r, etaC)
		cfg.mutation(children, r, etaM)
		// Emoo: the mating pool (with its duplicates) replaces the
		// parents; NSGA-II: the parents themselves compete with the
		// children.
		union := append(pool, children...)
		if cfg.Variation == NSGA2 {
			union = append(append([]*Individual(nil), pop...), children...)
		}
		t0 := time.Now()
		n, err := cfg.evaluate(ctx, prob, union)
		if err != nil {
			return pop, err
		}
		// The pool holds pointers to parents that may appear twice; copy
		// so that ranking and truncation treat rows independently.
		for i, ind := range union {
			cp := *ind
			union[i] = &cp
		}
		if cfg.DropDuplicates {
			union = dropDuplicates(union)
		}
		union = assignFitness(union)
		pop = union[:min(cfg.N, len(union))]
		g := cfg.summary(gen, pop, n, time.Since(t0))
		log = append(log, g)
		if err := checkpoint(opt, &cfg, gen, pop, log); err != nil {
			return pop, err
		}
		rec.Generation(g)
	}
	return pop, writeResults(opt.Dir, &cfg, pop)
}

func refPoint(pop []*Individual) []float64 {
	m := len(pop[0].F)
	ref := make([]float64, m)
	for k := 0; k < m; k++ {
		hi := 0.0
		for _, ind := range pop {
			if ind.F[k] < MaxErr {
				hi = math.Max(hi, ind.F[k])
			}
		}
		if hi == 0 {
			hi = 1
		}
		ref[k] = 1.1 * hi
	}
	return ref
}

func (c *Config) summary(gen int, pop []*Individual, evals int, d time.Duration) Generation {
	g := Generation{Gen: gen, Evaluations: evals, Seconds: d.Seconds()}
	m := len(c.Objectives)
	g.Best = make([]float64, m)
	for k := range g.Best {
		g.Best[k] = math.Inf(1)
	}
	var front [][]float64
	for _, ind := range pop {
		for k, v := range ind.F {
			g.Best[k] = math.Min(g.Best[k], v)
		}
		if ind.Rank == 0 {
			front = append(front, ind.F)
			g.Front0++
		}
		if ind.Failed {
			g.Failed++
		}
	}
	g.Hypervolume, g.HVStdErr = Hypervolume(front, c.RefPoint)
	return g
}

func (c *Config) rows(pop []*Individual) []Row {
	out := make([]Row, len(pop))
	for i, ind := range pop {
		p := c.params(ind.X)
		pm := make(map[string]float64, len(p))
		for j, v := range c.Variables {
			pm[v.Name] = p[j]
		}
		out[i] = Row{Params: pm, X: ind.X, Objectives: ind.F, Rank: ind.Rank, Dist: ind.Dist, Fitness: ind.Fitness, Failed: ind.Failed}
	}
	return out
}

func checkpoint(opt Options, c *Config, gen int, pop []*Individual, log []Generation) error {
	cp := Checkpoint{FormatVersion: 1, Objectives: c.Objectives, N: c.N, C: c.C, Generations: c.Generations, Variation: c.Variation.String(),
		EtaC: c.EtaC, EtaM: c.EtaM, PM: c.PM, FinishGen: c.FinishGen, FixedPara: c.FixedPara, DropDup: c.DropDuplicates,
		Seed: c.Seed, RefPoint: c.RefPoint, Generation: gen, Population: c.rows(pop), Log: log, Extra: opt.Extra}
	for _, v := range c.Variables {
		cp.Variables = append(cp.Variables, v.Name)
		cp.Bounds = append(cp.Bounds, [2]float64{v.Low, v.High})
	}
	state, err := rand.NewPCG(c.Seed, 0x9e3779b97f4a7c15^uint64(gen+1)).MarshalBinary()
	if err != nil {
		return err
	}
	cp.RNG = base64.StdEncoding.EncodeToString(state)
	if err := writeJSON(filepath.Join(opt.Dir, CheckpointName), cp); err != nil {
		return err
	}
	if err := writeLog(filepath.Join(opt.Dir, LogName), c, log); err != nil {
		return err
	}
	return writeResults(opt.Dir, c, pop)
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	})
}

func writeLog(path string, c *Config, log []Generation) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		fmt.Fprint(w, logHead)
		for _, o := range c.Objectives {
			fmt.Fprintf(w, "\tbest_%s", o)
		}
		fmt.Fprintln(w)
		for _, g := range log {
			fmt.Fprintf(w, "%d\t%d\t%.3f\t%.4g\t%.10g\t%.3g\t%d\t%d", g.Gen, g.Evaluations, g.Seconds, g.EvalsPerSecond(), g.Hypervolume, g.HVStdErr, g.Front0, g.Failed)
			for _, b := range g.Best {
				fmt.Fprintf(w, "\t%.10g", b)
			}
			fmt.Fprintln(w)
		}
		return nil
	})
}

// logHead is log.tsv's header up to the best value of each objective
// (best_<objective> columns follow).
const logHead = "generation\tevaluations\tseconds\tevals_per_s\thypervolume\thypervolume_se\tfront0\tfailed"

// logFixed is the number of columns in logHead.
const logFixed = 8

// ReadLog reads a fit's log.tsv: the generations and the objective names.
func ReadLog(path string) ([]Generation, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	head := strings.Split(lines[0], "\t")
	if len(head) < logFixed || strings.Join(head[:logFixed], "\t") != logHead {
		return nil, nil, fmt.Errorf("%s: not a fit log (its header does not start %q)", path, logHead)
	}
	var objectives []string
	for _, h := range head[logFixed:] {
		o, ok := strings.CutPrefix(h, "best_")
		if !ok {
			return nil, nil, fmt.Errorf("%s: column %q is not best_<objective>", path, h)
		}
		objectives = append(objectives, o)
	}
	var gens []Generation
	for i, l := range lines[1:] {
		f := strings.Split(l, "\t")
		if len(f) != len(head) {
			return nil, nil, fmt.Errorf("%s:%d: %d columns, the header has %d", path, i+2, len(f), len(head))
		}
		var g Generation
		var perSecond float64
		_, err := fmt.Sscan(strings.Join(f[:logFixed], " "), &g.Gen, &g.Evaluations, &g.Seconds, &perSecond, &g.Hypervolume, &g.HVStdErr, &g.Front0, &g.Failed)
		if err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %v", path, i+2, err)
		}
		for _, x := range f[logFixed:] {
			v, err := strconv.ParseFloat(x, 64)
			if err != nil {
				return nil, nil, fmt.Errorf("%s:%d: %q is not a number", path, i+2, x)
			}
			g.Best = append(g.Best, v)
		}
		gens = append(gens, g)
	}
	return gens, objectives, nil
}

// IsLog reports whether path is a fit's log.tsv (by its header).
func IsLog(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, len(logHead))
	n, _ := io.ReadFull(f, head)
	return string(head[:n]) == logHead
}

type nopRecorder struct{}

func (nopRecorder) Init(int, int)         {}
func (nopRecorder) Evaluated()            {}
func (nopRecorder) Generation(Generation) {}

// writeResults writes population.json, front.json (rank 0) and best.json
// (the front member with the smallest sum of objectives, ties by row).
func writeResults(dir string, c *Config, pop []*Individual) error {
	rows := c.rows(pop)
	if err := writeJSON(filepath.Join(dir, PopulationName), rows); err != nil {
		return err
	}
	var front []Row
	best, bestSum := -1, math.Inf(1)
	for i, r := range rows {
		if r.Rank != 0 {
			continue
		}
		front = append(front, r)
		s := 0.0
		for _, v := range r.Objectives {
			s += v
		}
		if s < bestSum {
			best, bestSum = i, s
		}
	}
	if err := writeJSON(filepath.Join(dir, FrontName), front); err != nil {
		return err
	}
	if best < 0 {
		return errors.New("fit: empty first front")
	}
	return writeJSON(filepath.Join(dir, BestName), rows[best])
}

// ReadCheckpoint reads a checkpoint file.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	var cp Checkpoint
	if err := json.Unmarshal(data, &cp); err != nil {
		return nil, fmt.Errorf("resume: %s: %w", path, err)
	}
	return &cp, nil
}

// ExistsError reports a fit directory that already holds a checkpoint.
type ExistsError struct{ Dir string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("%s already holds a fit (%s): resume it, start over replacing it, or use another directory", e.Dir, CheckpointName)
}

// MismatchError reports a checkpoint made with other settings than the
// run that would resume it.
type MismatchError struct {
	Path        string
	Differences []string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("cannot resume %s: it was made with other settings: %s", e.Path, strings.Join(e.Differences, "; "))
}

// differences lists how the checkpoint's problem and settings differ from
// c and extra (the producer's settings, e.g. the data set).
func (cp *Checkpoint) differences(c *Config, extra any) []string {
	var out []string
	diff := func(what string, then, now any) {
		if fmt.Sprint(then) != fmt.Sprint(now) {
			out = append(out, fmt.Sprintf("%s %v (now %v)", what, then, now))
		}
	}
	var names []string
	for _, v := range c.Variables {
		names = append(names, v.Name)
	}
	diff("variables", cp.Variables, names)
	diff("objectives", cp.Objectives, c.Objectives)
	diff("population", cp.N, c.N)
	diff("capacity", cp.C, c.C)
	diff("seed", cp.Seed, c.Seed)
	diff("η_c", cp.EtaC, c.EtaC)
	diff("η_m", cp.EtaM, c.EtaM)
	diff("p_m", cp.PM, c.PM)
	diff("fixed parameters", cp.FixedPara, c.FixedPara)
	diff("drop duplicates", cp.DropDup, c.DropDuplicates)
	if cp.Variation != "" { // checkpoints before 2026-12 did not record it
		diff("variation", cp.Variation, c.Variation.String())
	}
	if slices.Equal(names, cp.Variables) {
		for i, v := range c.Variables {
			diff("bounds of "+v.Name, cp.Bounds[i], [2]float64{v.Low, v.High})
		}
	}
	// The producer's settings, compared as JSON values key by key.
	then, now := map[string]any{}, map[string]any{}
	for _, p := range []struct {
		v   any
		dst map[string]any
	}{{cp.Extra, then}, {extra, now}} {
		if b, err := json.Marshal(p.v); err == nil {
			json.Unmarshal(b, &p.dst)
		}
	}
	keys := map[string]bool{}
	for k := range then {
		keys[k] = true
	}
	for k := range now {
		keys[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		diff(k, then[k], now[k])
	}
	return out
}

// check reports a checkpoint that is not whole: sizes that disagree
// (bounds and variables, rows and the population size, a row's
// parameters and objectives and the names), parameters outside their
// bounds, a negative generation. differences and individuals index by
// these sizes.
func (cp *Checkpoint) check() error {
	nv, no := len(cp.Variables), len(cp.Objectives)
	switch {
	case len(cp.Bounds) != nv:
		return fmt.Errorf("%d bounds for %d variables", len(cp.Bounds), nv)
	case cp.Generation < 0:
		return fmt.Errorf("generation %d", cp.Generation)
	case len(cp.Population) != cp.N:
		return fmt.Errorf("%d rows in a population of %d", len(cp.Population), cp.N)
	case len(cp.RefPoint) != no:
		return fmt.Errorf("a reference point of %d values for %d objectives", len(cp.RefPoint), no)
	}
	for i, r := range cp.Population {
		if len(r.X) != nv || len(r.Objectives) != no {
			return fmt.Errorf("row %d has %d parameters and %d objectives, not %d and %d", i, len(r.X), len(r.Objectives), nv, no)
		}
		for k, x := range r.X {
			if b := cp.Bounds[k]; !(x >= b[0] && x <= b[1]) {
				return fmt.Errorf("row %d: %s = %g is outside its bounds [%g, %g]", i, cp.Variables[k], x, b[0], b[1])
			}
		}
	}
	return nil
}

func (cp *Checkpoint) individuals() []*Individual {
	out := make([]*Individual, len(cp.Population))
	for i, r := range cp.Population {
		out[i] = &Individual{X: r.X, F: r.Objectives, Rank: r.Rank, Dist: r.Dist, Fitness: r.Fitness, Failed: r.Failed}
	}
	return out
}
