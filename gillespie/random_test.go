package gillespie

import (
	"math"
	"sort"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// chiSquareP returns the p-value of a chi-square goodness-of-fit test of
// observed counts against expected counts (cells with expectation < 5 are
// pooled into their neighbours).
func chiSquareP(obs []float64, exp []float64) (p float64, df int) {
	var o, e []float64
	var co, ce float64
	for i := range obs {
		co += obs[i]
		ce += exp[i]
		if ce >= 5 {
			o, e = append(o, co), append(e, ce)
			co, ce = 0, 0
		}
	}
	if ce > 0 && len(e) > 0 {
		o[len(o)-1] += co
		e[len(e)-1] += ce
	}
	x2 := 0.0
	for i := range o {
		x2 += (o[i] - e[i]) * (o[i] - e[i]) / e[i]
	}
	df = len(o) - 1
	return 1 - distuv.ChiSquared{K: float64(df)}.CDF(x2), df
}

// The tests below draw fixed-seed samples and require a chi-square (or
// Kolmogorov–Smirnov) p-value above 1e-4: a correct sampler fails one
// of them with probability 1e-4 per seed, a wrong one fails by orders of
// magnitude.

func TestBinomial(t *testing.T) {
	for _, c := range []struct {
		n int64
		p float64
	}{{1, 0.3}, {10, 0.5}, {20, 0.2}, {50, 0.1}, {100, 0.3}, {1000, 0.5}, {1000, 0.97}, {5000, 0.004}, {100000, 0.2}, {1 << 30, 1e-6}, {37, 0.999}} {
		s := NewStream(42, uint64(c.n))
		const draws = 200000
		d := distuv.Binomial{N: float64(c.n), P: c.p}
		mean, sd := d.Mean(), d.StdDev()
		lo := int64(math.Max(0, math.Floor(mean-8*sd)))
		hi := int64(math.Min(float64(c.n), math.Ceil(mean+8*sd)))
		obs := make([]float64, hi-lo+1)
		for i := 0; i < draws; i++ {
			k := s.Binomial(c.n, c.p)
			if k < 0 || k > c.n {
				t.Fatalf("Binomial(%d, %g) = %d", c.n, c.p, k)
			}
			if k >= lo && k <= hi {
				obs[k-lo]++
			}
		}
		exp := make([]float64, len(obs))
		for k := range exp {
			exp[k] = draws * d.Prob(float64(int64(k)+lo))
		}
		if p, df := chiSquareP(obs, exp); p < 1e-4 {
			t.Errorf("Binomial(%d, %g): chi-square p = %g (df %d)", c.n, c.p, p, df)
		}
	}
	s := NewStream(1, 1)
	if s.Binomial(0, 0.5) != 0 || s.Binomial(10, 0) != 0 || s.Binomial(10, 1) != 10 || s.Binomial(10, 1.5) != 10 || s.Binomial(-3, 0.5) != 0 {
		t.Error("edge cases")
	}
}

func TestPoisson(t *testing.T) {
	for _, mu := range []float64{0.01, 0.5, 3, 9.99, 10, 25, 100, 1234.5, 1e6} {
		s := NewStream(7, math.Float64bits(mu))
		const draws = 200000
		d := distuv.Poisson{Lambda: mu}
		sd := math.Sqrt(mu)
		lo := int64(math.Max(0, math.Floor(mu-8*sd)))
		hi := int64(math.Ceil(mu + 8*sd + 5))
		obs := make([]float64, hi-lo+1)
		for i := 0; i < draws; i++ {
			k := s.Poisson(mu)
			if k < 0 {
				t.Fatalf("Poisson(%g) = %d", mu, k)
			}
			if k >= lo && k <= hi {
				obs[k-lo]++
			}
		}
		exp := make([]float64, len(obs))
		for k := range exp {
			exp[k] = draws * d.Prob(float64(int64(k)+lo))
		}
		if p, df := chiSquareP(obs, exp); p < 1e-4 {
			t.Errorf("Poisson(%g): chi-square p = %g (df %d)", mu, p, df)
		}
	}
}

// TestExp checks the ziggurat exponential with a Kolmogorov–Smirnov test
// (p > 1e-4) and its tail beyond the ziggurat's base (x > 7.7) by a
// binomial count.
func TestExp(t *testing.T) {
	s := NewStream(3, 0)
	const n = 200000
	x := make([]float64, n)
	tail := 0
	for i := range x {
		x[i] = s.Exp()
		if x[i] > 7.69711747013104972 {
			tail++
		}
	}
	sort.Float64s(x)
	d := 0.0
	for i, v := range x {
		f := 1 - math.Exp(-v)
		d = math.Max(d, math.Max(f-float64(i)/n, float64(i+1)/n-f))
	}
	// Asymptotic KS: P(√n·D > 2.0) ≈ 6.7e-4, P(√n·D > 2.3) ≈ 8.5e-5.
	if d*math.Sqrt(n) > 2.3 {
		t.Errorf("KS statistic √n·D = %g", d*math.Sqrt(n))
	}
	want := n * math.Exp(-7.69711747013104972)
	if math.Abs(float64(tail)-want) > 5*math.Sqrt(want) {
		t.Errorf("%d draws beyond 7.7, want %g", tail, want)
	}
}

func TestStreamsIndependentAndReproducible(t *testing.T) {
	a, b, c := NewStream(1, 0), NewStream(1, 0), NewStream(1, 1)
	same := 0
	for i := 0; i < 1000; i++ {
		x, y, z := a.Uint64(), b.Uint64(), c.Uint64()
		if x != y {
			t.Fatal("same seed and index, different numbers")
		}
		if x == z {
			same++
		}
	}
	if same > 0 {
		t.Errorf("streams 0 and 1 share %d numbers", same)
	}
}

func BenchmarkExp(b *testing.B) {
	s := NewStream(1, 1)
	x := 0.0
	for i := 0; i < b.N; i++ {
		x += s.Exp()
	}
	_ = x
}

func BenchmarkBinomialLarge(b *testing.B) {
	s := NewStream(1, 1)
	var x int64
	for i := 0; i < b.N; i++ {
		x += s.Binomial(10000, 0.3)
	}
	_ = x
}

func BenchmarkPoissonLarge(b *testing.B) {
	s := NewStream(1, 1)
	var x int64
	for i := 0; i < b.N; i++ {
		x += s.Poisson(500)
	}
	_ = x
}
