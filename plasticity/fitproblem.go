package plasticity

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/spinerd/spinerd/deterministic"
	"github.com/spinerd/spinerd/fit"
	"github.com/spinerd/spinerd/model"
)

// Problem is a data set's fitting problem for package fit: parameters
// are the space's variables (in order), objectives f0…fK as Evaluate
// computes them.
type Problem struct {
	Data    *Data
	Base    *model.Model
	Dataset *Dataset
	Variant *Variant
	Space   *Space
	Options Options
	// Log, if set, receives a line for every failed experiment (solver
	// error or exhausted step budget).
	Log io.Writer
	mu  sync.Mutex

	once  sync.Once
	cache *deterministic.Cache // the solver's structural analysis, shared by the evaluations
}

// Variables returns the fit variables with the data set's bounds.
func (p *Problem) Variables() []fit.Variable {
	names, lo, hi := p.Space.Bounds(p.Dataset)
	out := make([]fit.Variable, len(names))
	for i := range names {
		out[i] = fit.Variable{Name: names[i], Low: lo[i], High: hi[i]}
	}
	return out
}

// Objectives returns the objective names f0…fK (K experiments, then the
// Ca penalty).
func (p *Problem) Objectives() []string {
	var out []string
	for k := 0; k <= len(p.Variant.Experiments); k++ {
		out = append(out, fmt.Sprintf("f%d", k))
	}
	return out
}

// Evaluate implements fit.Problem.
func (p *Problem) Evaluate(ctx context.Context, x []float64) ([]float64, error) {
	vars := p.Space.Variables
	params := make(Params, len(vars))
	for i, v := range vars {
		params[v.Name] = x[i]
	}
	p.once.Do(func() { p.cache = &deterministic.Cache{} })
	opt := p.Options
	if opt.Cache == nil {
		opt.Cache = p.cache
	}
	r, err := p.Data.Evaluate(ctx, p.Base, p.Dataset, p.Variant, p.Space, params, opt)
	if err != nil {
		return nil, err
	}
	if p.Log != nil {
		for k, e := range r.Experiments {
			if e.Err != nil {
				p.mu.Lock()
				fmt.Fprintf(p.Log, "experiment %d (%s) failed with parameters %v: %v; objective %d set to %g\n", e.ID, p.Variant.Labels[k], params, e.Err, k, p.Data.Fixed.MissingResultErr)
				p.mu.Unlock()
			}
		}
	}
	return r.Objectives, nil
}
