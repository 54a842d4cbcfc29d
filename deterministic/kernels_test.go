package deterministic

import (
	"testing"

	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/models"
)

// kernelSystem is the embedded spine model (204 species, one voxel).
func kernelSystem(tb testing.TB) *model.System {
	tb.Helper()
	m, _, err := models.SpineModel()
	if err != nil {
		tb.Fatal(err)
	}
	sys, _, err := model.Compile(m, model.Options{Method: "ode"})
	if err != nil {
		tb.Fatal(err)
	}
	return sys
}

// BenchmarkKernels times the per-step building blocks of the BDF
// integrator on the spine model: the right-hand side, the Jacobian, the
// numeric factorisation of I − c·J and one solve with it.
func BenchmarkKernels(b *testing.B) {
	sys := kernelSystem(b)
	p := newProblem(sys, nil)
	p.signed = true
	y := append([]float64(nil), sys.Initial...)
	f := make([]float64, p.n)
	jv := make([]float64, len(p.ji))
	p.jacobian(y, jv)
	lu := newSparseLU(p.n, p.jp, p.ji, nil)
	b.Run("rhs", func(b *testing.B) {
		for b.Loop() {
			p.eval(y, f)
		}
	})
	b.Run("jacobian", func(b *testing.B) {
		for b.Loop() {
			p.jacobian(y, jv)
		}
	})
	b.Run("factor", func(b *testing.B) {
		for b.Loop() {
			if err := lu.factor(0.01, jv); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("solve", func(b *testing.B) {
		if err := lu.factor(0.01, jv); err != nil {
			b.Fatal(err)
		}
		x := make([]float64, p.n)
		for b.Loop() {
			copy(x, y)
			lu.solve(x)
		}
	})
}

// BenchmarkSetup times building the right-hand side's structures and the
// symbolic LU of the spine model (once per run).
func BenchmarkSetup(b *testing.B) {
	sys := kernelSystem(b)
	b.Run("problem", func(b *testing.B) {
		for b.Loop() {
			newProblem(sys, nil)
		}
	})
	p := newProblem(sys, nil)
	b.Run("symbolicLU", func(b *testing.B) {
		for b.Loop() {
			newSparseLU(p.n, p.jp, p.ji, nil)
		}
	})
}
