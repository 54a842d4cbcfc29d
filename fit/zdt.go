package fit

import (
	"context"
	"fmt"
	"math"
)

// ZDT returns test problem ZDT1, ZDT2 or ZDT3 of Zitzler, Deb and Thiele
// (Evol Comput 8:173, 2000) with n variables in [0, 1], and the
// hypervolume of its true front for reference point (1.1, 1.1) (ZDT1
// 0.1 + 2/3 + 0.11, ZDT2 0.1 + 1/3 + 0.11, ZDT3 from a dense sampling of
// its analytic front, the non-dominated part of f2 = 1 − √f1 − f1 sin 10πf1).
func ZDT(kind, n int) (Problem, []Variable, float64) {
	vars := make([]Variable, n)
	for i := range vars {
		vars[i] = Variable{Name: fmt.Sprintf("x%d", i+1), Low: 0, High: 1}
	}
	h := func(f1, g float64) float64 {
		switch kind {
		case 1:
			return 1 - math.Sqrt(f1/g)
		case 2:
			return 1 - (f1/g)*(f1/g)
		}
		return 1 - math.Sqrt(f1/g) - (f1/g)*math.Sin(10*math.Pi*f1)
	}
	prob := ProblemFunc(func(_ context.Context, x []float64) ([]float64, error) {
		s := 0.0
		for _, v := range x[1:] {
			s += v
		}
		g := 1 + 9*s/float64(len(x)-1)
		return []float64{x[0], g * h(x[0], g)}, nil
	})
	const m = 200_000
	pts := make([][]float64, 0, m+1)
	for i := 0; i <= m; i++ {
		f1 := float64(i) / m
		pts = append(pts, []float64{f1, h(f1, 1)})
	}
	hv, _ := Hypervolume(pts, []float64{1.1, 1.1})
	return prob, vars, hv
}
