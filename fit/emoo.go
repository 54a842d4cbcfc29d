// Package fit is a multi-objective evolutionary optimiser in the manner of
// Emoo (Bahl et al. 2012, J Neurosci Methods 210:22; emoo.py with
// Mäki-Marttunen's additions): an elitist (μ+λ) genetic algorithm of the
// NSGA-II family with simulated binary crossover, polynomial mutation,
// non-dominated sorting and crowding distance. It knows nothing about
// neuroscience: parameters with bounds go in, objective vectors come out.
//
// The algorithm follows protocols-and-fitting.md §7 step by step:
// population of N rows of normalised parameters in [0,1]; each generation
// two rounds of binary tournaments (random permutations, the smaller
// fitness wins) fill a mating pool of N; SBX on every variable with
// β from η_c (no crossover probability, children clamped to [0,1]) adds
// children in pairs until parents + children ≥ C; polynomial mutation of
// each child variable with probability p_m (δ from η_m, clamped);
// children are evaluated; fronts are peeled by Deb's fast non-dominated
// sort, each front sorted by crowding distance (extremes get +1e15 per
// objective), fitness = row index; the first N rows survive. The last
// FixedPara variables are inherited whole from one parent (coin flip) and
// never mutated.
//
// Quirks of emoo.py and what this package does (§7.10):
//  1. The original never seeds its generator: here an explicit seed feeds
//     one PCG stream per generation, derived from (seed, generation), so
//     a run is reproducible and a checkpoint resumes it exactly.
//  2. Results arrive in MPI order there: here evaluations run on a worker
//     pool and are written back to their own rows, so the outcome does not
//     depend on the number of workers or their timing.
//  3. Duplicates enter through the mating pool and survive: kept (option
//     DropDuplicates removes exact duplicates before truncation).
//  4. NaN objectives are never dominated there: here NaN and ±Inf map to
//     MaxErr (1e8) before ranking and are counted.
//  5. Unstable sorts decide ties there: here all sorts are stable, ties
//     broken by row index.
//  6. SBX and polynomial mutation are the unbounded variants with clamping,
//     every gene crossed, exactly as published; η_c, η_m and p_m are
//     options.
//  7. C − N odd overshoots C by one (children come in pairs), N odd loses a
//     tournament slot: kept and documented.
//  8. The finishgen schedule (η += dη after finishgen) is kept, off by
//     default.
//  9. Fixed parameters: inherited from the coin-flip parent, never
//     mutated, the coin drawn anyway (as there).
//  10. Rows with fitness ≠ −1 are not re-evaluated: resume relies on it.
//     11–12. Populations that become one front, MaxErr rows that persist on
//     front 0: nothing changed; Generation reports them.
//  13. The wall-clock limit on a simulation becomes a budget in solver
//     steps, chosen by the caller's Problem.
//  14. Checkpoints hold un-normalised parameters and unscaled objectives,
//     plus the generator state, as JSON.
package fit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
)

// MaxErr is the objective value of a failed evaluation.
const MaxErr = 1e8

// Variable is a parameter with bounds.
type Variable struct {
	Name      string  `json:"name"`
	Low, High float64 `json:"-"`
}

// Problem evaluates parameter vectors (un-normalised, in Variables order)
// into objective vectors (all minimised). An error counts as a failed
// evaluation (every objective MaxErr); it must be safe for concurrent use.
type Problem interface {
	Evaluate(ctx context.Context, params []float64) ([]float64, error)
}

// ProblemFunc adapts a function to Problem.
type ProblemFunc func(ctx context.Context, params []float64) ([]float64, error)

// Evaluate calls f.
func (f ProblemFunc) Evaluate(ctx context.Context, p []float64) ([]float64, error) { return f(ctx, p) }

// Config describes an optimisation.
type Config struct {
	Variables  []Variable
	Objectives []string
	// N is the population size and C the capacity (parents + children);
	// C defaults to 2N.
	N, C        int
	Generations int
	// EtaC and EtaM are the SBX and mutation distribution indices (default
	// 20); PM the per-variable mutation probability (default 0.5, Emoo's).
	EtaC, EtaM, PM float64
	// FinishGen, when positive, adds DEtaC and DEtaM to the indices every
	// generation after it (Emoo's schedule; 0: off, the default).
	FinishGen    int
	DEtaC, DEtaM float64
	// FixedPara is the number of trailing variables that are inherited
	// whole and never mutated.
	FixedPara int
	// Variation selects crossover and survival: Emoo (default: every
	// variable crossed, children not swapped, the mating pool with its
	// duplicates replacing the parents, as published) or NSGA2 (Deb's
	// NSGA-II: each variable crossed with probability ½ and the two
	// children's values swapped with probability ½, which recombines
	// variables of the two parents, and the parents themselves competing
	// with the children for survival).
	Variation Variation
	// DropDuplicates removes rows with identical parameters before
	// truncation (off: Emoo's behaviour).
	DropDuplicates bool
	Seed           uint64
	// Jobs is the number of concurrent evaluations (default 1).
	Jobs int
	// RefPoint is the hypervolume reference point (default: 1.1 × the
	// largest non-MaxErr value of each objective in generation 0).
	RefPoint []float64
}

// Check reports a configuration Run would refuse (with the defaults
// filled in as Run fills them), so that a caller can refuse it before
// doing anything else.
func (c Config) Check() error { return c.defaults() }

func (c *Config) defaults() error {
	if len(c.Variables) == 0 || len(c.Objectives) == 0 {
		return errors.New("fit: no variables or no objectives")
	}
	for _, v := range c.Variables {
		if !(v.High > v.Low) {
			return fmt.Errorf("fit: variable %s: bounds [%g, %g] are empty", v.Name, v.Low, v.High)
		}
	}
	if c.N < 2 {
		return fmt.Errorf("fit: population %d is too small", c.N)
	}
	if c.C == 0 {
		c.C = 2 * c.N
	}
	if c.C <= c.N {
		return fmt.Errorf("fit: capacity %d must exceed the population %d", c.C, c.N)
	}
	if c.EtaC == 0 {
		c.EtaC = 20
	}
	if c.EtaM == 0 {
		c.EtaM = 20
	}
	if c.PM == 0 {
		c.PM = 0.5
	}
	for _, x := range []struct {
		name string
		v    float64
	}{{"SBX distribution index η_c", c.EtaC}, {"mutation distribution index η_m", c.EtaM}} {
		if !(x.v > 0) || math.IsInf(x.v, 0) {
			return fmt.Errorf("fit: %s %g: want a finite number > 0", x.name, x.v)
		}
	}
	if !(c.PM > 0 && c.PM <= 1) {
		return fmt.Errorf("fit: mutation probability %g: want a probability in (0, 1]", c.PM)
	}
	if math.IsNaN(c.DEtaC) || math.IsInf(c.DEtaC, 0) || math.IsNaN(c.DEtaM) || math.IsInf(c.DEtaM, 0) {
		return fmt.Errorf("fit: index increments %g, %g: want finite numbers", c.DEtaC, c.DEtaM)
	}
	if c.Jobs <= 0 {
		c.Jobs = 1
	}
	if c.FixedPara < 0 || c.FixedPara > len(c.Variables) {
		return fmt.Errorf("fit: %d fixed parameters of %d", c.FixedPara, len(c.Variables))
	}
	return nil
}

// Variation is a crossover scheme.
type Variation int

const (
	// Emoo is emoo.py's crossover and survival (default).
	Emoo Variation = iota
	// NSGA2 is the crossover and survival of Deb's NSGA-II (Deb et al.,
	// IEEE Trans Evol Comput 6:182, 2002).
	NSGA2
)

// String returns "emoo" or "nsga2".
func (v Variation) String() string {
	if v == NSGA2 {
		return "nsga2"
	}
	return "emoo"
}

// Individual is one row of the population.
type Individual struct {
	// X holds the normalised parameters in [0, 1].
	X []float64
	// F holds the objectives (nil before evaluation).
	F []float64
	// Rank is the front index, Dist the crowding distance, Fitness the
	// row index after ranking (−1: not yet evaluated).
	Rank    int
	Dist    float64
	Fitness int
	// Failed says the evaluation failed (objectives MaxErr).
	Failed bool
}

func (c *Config) params(x []float64) []float64 {
	p := make([]float64, len(x))
	for i, v := range c.Variables {
		p[i] = x[i]*(v.High-v.Low) + v.Low
	}
	return p
}

// rng returns the stream of generation gen.
func rng(seed uint64, gen int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15^uint64(gen)))
}

// initial returns N random rows.
func (c *Config) initial(r *rand.Rand) []*Individual {
	pop := make([]*Individual, c.N)
	for i := range pop {
		x := make([]float64, len(c.Variables))
		for j := range x {
			x[j] = r.Float64()
		}
		pop[i] = &Individual{X: x, Fitness: -1, Rank: -1, Dist: -1}
	}
	return pop
}

// selection: two rounds of binary tournaments over random permutations.
func selection(pop []*Individual, r *rand.Rand) []*Individual {
	var pool []*Individual
	for round := 0; round < 2; round++ {
		perm := r.Perm(len(pop))
		for i := 0; i+1 < len(perm); i += 2 {
			a, b := pop[perm[i]], pop[perm[i+1]]
			if a.Fitness < b.Fitness {
				pool = append(pool, a)
			} else {
				pool = append(pool, b)
			}
		}
	}
	return pool
}

func clamp01(x float64) float64 { return math.Min(1, math.Max(0, x)) }

// crossover appends SBX children until the union reaches C.
func (c *Config) crossover(pool []*Individual, r *rand.Rand, etaC float64) []*Individual {
	nv := len(c.Variables)
	var children []*Individual
	for len(children)+len(pool) < c.C {
		p := pool[int(r.Float64()*float64(len(pool)))]
		q := pool[int(r.Float64()*float64(len(pool)))]
		c1 := make([]float64, nv)
		c2 := make([]float64, nv)
		for i := 0; i < nv; i++ {
			u := r.Float64()
			if i >= nv-c.FixedPara {
				if u <= 0.5 {
					c1[i], c2[i] = p.X[i], p.X[i]
				} else {
					c1[i], c2[i] = q.X[i], q.X[i]
				}
				continue
			}
			if c.Variation == NSGA2 && r.Float64() >= 0.5 {
				// Deb's SBX crosses each variable with probability ½.
				c1[i], c2[i] = p.X[i], q.X[i]
				continue
			}
			var beta float64
			if u <= 0.5 {
				beta = math.Pow(2*u, 1/(etaC+1))
			} else {
				beta = math.Pow(1/(2*(1-u)), 1/(etaC+1))
			}
			x1, x2 := p.X[i], q.X[i]
			c1[i] = clamp01(0.5 * ((1+beta)*x1 + (1-beta)*x2))
			c2[i] = clamp01(0.5 * ((1-beta)*x1 + (1+beta)*x2))
			if c.Variation == NSGA2 && r.Float64() < 0.5 {
				// ... and swaps the children's values with probability ½.
				c1[i], c2[i] = c2[i], c1[i]
			}
		}
		children = append(children, &Individual{X: c1, Fitness: -1, Rank: -1, Dist: -1}, &Individual{X: c2, Fitness: -1, Rank: -1, Dist: -1})
	}
	return children
}

// mutation applies polynomial mutation to unevaluated rows.
func (c *Config) mutation(rows []*Individual, r *rand.Rand, etaM float64) {
	nv := len(c.Variables)
	for _, ind := range rows {
		if ind.Fitness != -1 {
			continue
		}
		for i := 0; i < nv; i++ {
			m := r.Float64()
			if m < c.PM && i < nv-c.FixedPara {
				u := r.Float64()
				var d float64
				if u < 0.5 {
					d = math.Pow(2*u, 1/(etaM+1)) - 1
				} else {
					d = 1 - math.Pow(2*(1-u), 1/(etaM+1))
				}
				ind.X[i] = clamp01(ind.X[i] + d)
			}
		}
	}
}

// evaluate runs the problem on every unevaluated row, Jobs at a time,
// writing each result to its own row.
func (c *Config) evaluate(ctx context.Context, prob Problem, rows []*Individual) (int, error) {
	var todo []*Individual
	for _, ind := range rows {
		if ind.Fitness == -1 && ind.F == nil {
			todo = append(todo, ind)
		}
	}
	sem := make(chan struct{}, c.Jobs)
	var wg sync.WaitGroup
	for _, ind := range todo {
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f, err := prob.Evaluate(ctx, c.params(ind.X))
			if err == nil && len(f) != len(c.Objectives) {
				err = fmt.Errorf("%d objectives, want %d", len(f), len(c.Objectives))
			}
			if err != nil {
				f = make([]float64, len(c.Objectives))
				for i := range f {
					f[i] = MaxErr
				}
				ind.Failed = true
			}
			for i, v := range f {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					f[i] = MaxErr
					ind.Failed = true
				}
			}
			ind.F = f
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return len(todo), err
	}
	return len(todo), nil
}

func dominates(a, b []float64) bool {
	better := false
	for i := range a {
		if a[i] > b[i] {
			return false
		}
		if a[i] < b[i] {
			better = true
		}
	}
	return better
}

// assignFitness orders rows by front and crowding and sets Rank, Dist and
// Fitness (the row index); it returns the ordered rows.
func assignFitness(rows []*Individual) []*Individual {
	n := len(rows)
	if n == 0 {
		return rows
	}
	m := len(rows[0].F)
	if m == 1 {
		out := append([]*Individual(nil), rows...)
		sort.SliceStable(out, func(i, j int) bool { return out[i].F[0] < out[j].F[0] })
		for i, ind := range out {
			ind.Fitness, ind.Rank, ind.Dist = i, 0, 0
		}
		return out
	}
	count := make([]int, n)
	dom := make([][]int, n)
	for p := 0; p < n; p++ {
		for q := 0; q < n; q++ {
			if p == q {
				continue
			}
			if dominates(rows[p].F, rows[q].F) {
				dom[p] = append(dom[p], q)
			} else if dominates(rows[q].F, rows[p].F) {
				count[p]++
			}
		}
	}
	var fronts [][]int
	var cur []int
	for p := 0; p < n; p++ {
		if count[p] == 0 {
			cur = append(cur, p)
		}
	}
	for len(cur) > 0 {
		fronts = append(fronts, cur)
		var next []int
		for _, p := range cur {
			for _, q := range dom[p] {
				count[q]--
				if count[q] == 0 {
					next = append(next, q)
				}
			}
		}
		sort.Ints(next)
		cur = next
	}
	pos := make(map[*Individual]int, n)
	for i, r := range rows {
		pos[r] = i
	}
	var out []*Individual
	for r, front := range fronts {
		members := make([]*Individual, len(front))
		for i, p := range front {
			members[i] = rows[p]
			members[i].Rank = r
			members[i].Dist = 0
		}
		for k := 0; k < m; k++ {
			sort.SliceStable(members, func(i, j int) bool { return members[i].F[k] < members[j].F[k] })
			first, last := members[0], members[len(members)-1]
			first.Dist += 1e15
			last.Dist += 1e15
			lo, hi := first.F[k], last.F[k]
			if hi != lo {
				for i := 1; i < len(members)-1; i++ {
					members[i].Dist += (members[i+1].F[k] - members[i-1].F[k]) / (hi - lo)
				}
			}
		}
		// Restore the row order before sorting by distance, so that ties
		// go to the earlier row.
		sort.SliceStable(members, func(i, j int) bool { return pos[members[i]] < pos[members[j]] })
		sort.SliceStable(members, func(i, j int) bool { return members[i].Dist > members[j].Dist })
		out = append(out, members...)
	}
	for i, ind := range out {
		ind.Fitness = i
	}
	return out
}

func dropDuplicates(rows []*Individual) []*Individual {
	seen := map[string]bool{}
	var out []*Individual
	for _, r := range rows {
		k := fmt.Sprint(r.X)
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}
