package gillespie

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMulRows: the four-rows-at-once products give, bit for bit, the
// numbers of each row summed alone in order (the loops checkCluster had),
// for every row count's remainder modulo four, over values of mixed
// magnitudes and signs that make the order of summation matter.
func TestMulRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	val := func() float64 {
		return (rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(12)-6))
	}
	for n := 0; n <= 9; n++ {
		for trial := range 50 {
			a := make([]float64, n*n)
			x := make([]float64, n)
			for k := range a {
				a[k] = val()
			}
			for k := range x {
				x[k] = val()
			}
			c, d := val(), val()
			got, gotS := make([]float64, n), make([]float64, n)
			mulRows(a, x, got)
			mulRowsScaled(a, x, c, d, gotS)
			for i := 0; i < n; i++ {
				want, wantS := 0.0, 0.0
				for j := 0; j < n; j++ {
					want += a[i*n+j] * x[j]
					wantS -= a[i*n+j] * x[j] * c / d
				}
				if math.Float64bits(got[i]) != math.Float64bits(want) || math.Float64bits(gotS[i]) != math.Float64bits(wantS) {
					t.Fatalf("n=%d trial %d row %d: %v, %v; want %v, %v", n, trial, i, got[i], gotS[i], want, wantS)
				}
			}
		}
	}
}

// TestNextSweep: the sweeps fall on the multiples of sweepMs after the
// given time, so a run resumed mid-way (--initial-state) sweeps when the
// uninterrupted run does.
func TestNextSweep(t *testing.T) {
	for _, c := range []struct{ t, want float64 }{
		{0, sweepMs}, {sweepMs, 2 * sweepMs}, {sweepMs - 1e-9, sweepMs},
		{123.4 * sweepMs, 124 * sweepMs}, {-0.5 * sweepMs, 0},
	} {
		if got := nextSweep(c.t); got != c.want {
			t.Errorf("nextSweep(%g) = %g, want %g", c.t, got, c.want)
		}
	}
}
