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

// TestJacobianShapes: the signed fast path of the Jacobian equals the
// general one.
func TestJacobianShapes(t *testing.T) {
	sys := kernelSystem(t)
	p := newProblem(sys, nil)
	y := append([]float64(nil), sys.Initial...)
	for i := range y {
		y[i] += float64(i%7) - 2.5 // some negative amounts
	}
	fast := make([]float64, len(p.ji))
	p.signed = true
	p.jacobian(y, fast)
	// The general path, forced by a term list the fast path cannot take:
	// compare with finite differences of eval instead.
	f0, f1 := make([]float64, p.n), make([]float64, p.n)
	p.eval(y, f0)
	for col := 0; col < p.n; col++ {
		h := 1e-6 * (1 + abs(y[col]))
		y[col] += h
		p.eval(y, f1)
		y[col] -= h
		for row := 0; row < p.n; row++ {
			fd := (f1[row] - f0[row]) / h
			var an float64
			for q := p.jp[row]; q < p.jp[row+1]; q++ {
				if int(p.ji[q]) == col {
					an = fast[q]
				}
			}
			if d := abs(fd - an); d > 1e-4*(1+abs(an)) {
				t.Fatalf("∂f%d/∂y%d: analytic %g, finite difference %g", row, col, an, fd)
			}
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
