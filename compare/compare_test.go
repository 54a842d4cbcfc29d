package compare

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestTimeIndexTolerance(t *testing.T) {
	times := []float64{0, 199.99999999996308, 2000.0099999988}
	for _, c := range []struct {
		t    float64
		want int
	}{{0, 0}, {200, 1}, {2000, 2}, {2000.05, -1}, {100, -1}} {
		if got := TimeIndex(times, c.t); got != c.want {
			t.Errorf("TimeIndex(%g) = %d, want %d", c.t, got, c.want)
		}
	}
}

func TestSpreadTimes(t *testing.T) {
	times := []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if got := SpreadTimes(times, 5); !slices.Equal(got, []float64{2, 4, 6, 8, 10}) {
		t.Errorf("SpreadTimes = %v", got)
	}
	// More requested than available: each output once, the last included.
	if got := SpreadTimes(times[:3], 10); !slices.Equal(got, []float64{1, 2}) {
		t.Errorf("SpreadTimes short = %v", got)
	}
}

func TestKSExact(t *testing.T) {
	// Hand-computed: the ECDFs of {1,2,3} and {2,3,4,5} differ most at
	// x=1 (1/3 vs 0) and x=3 (1 vs 1/2).
	if d := KS([]float64{1, 2, 3}, []float64{2, 3, 4, 5}); math.Abs(d-0.5) > 1e-12 {
		t.Errorf("KS = %g, want 0.5", d)
	}
	if d := KS([]float64{1, 2}, []float64{1, 2}); d != 0 {
		t.Errorf("KS identical = %g", d)
	}
	if d := KS([]float64{1, 2}, []float64{3, 4}); d != 1 {
		t.Errorf("KS disjoint = %g", d)
	}
}

// Under the null hypothesis the KS p value is (nearly) uniform: with 400
// pairs of samples from one distribution, the fraction below 0.05 is
// binomial(400, ≤0.05); a count above 45 has probability < 1e-6.
// Shifted samples must give small p values.
func TestKSPValueCalibration(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	draw := func(n int, shift float64) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = r.NormFloat64() + shift
		}
		return x
	}
	low := 0
	for range 400 {
		if KSPValue(KS(draw(60, 0), draw(50, 0)), 60, 50) < 0.05 {
			low++
		}
	}
	if low > 45 {
		t.Errorf("%d of 400 null p values below 0.05", low)
	}
	if p := KSPValue(KS(draw(60, 0), draw(50, 1.5)), 60, 50); p > 1e-4 {
		t.Errorf("shift of 1.5 SD: p = %g", p)
	}
}

func TestCompareZ(t *testing.T) {
	a := NewEnsemble([]string{"A", "B", "Low"}, []float64{10})
	b := NewEnsemble([]string{"Low", "B", "A"}, []float64{10.001})
	a.Samples[0] = [][]float64{{10, 12, 14}, {100, 100, 100}, {0, 0, 1}}
	b.Samples[0] = [][]float64{{0, 0, 0}, {100, 100, 100}, {10, 12, 14}}
	cs, err := Compare(a, b, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 {
		t.Fatalf("got %d comparisons, want 2 (Low filtered): %+v", len(cs), cs)
	}
	for _, c := range cs {
		if c.Z != 0 || c.KS != 0 {
			t.Errorf("%s: z %g KS %g, want 0", c.Species, c.Z, c.KS)
		}
	}
	// Shift A in b by 3: z = -3 / sqrt(2²/3 + 2²/3).
	b.Samples[0][2] = []float64{13, 15, 17}
	cs, _ = Compare(a, b, 5)
	want := -3 / math.Sqrt(8.0/3)
	if math.Abs(cs[0].Z-want) > 1e-12 {
		t.Errorf("z = %g, want %g", cs[0].Z, want)
	}
	if m, g := Summary(cs); math.Abs(m-math.Abs(want)) > 1e-12 || math.Abs(g-1) > 1e-12 {
		t.Errorf("Summary = %g, %g", m, g)
	}
	b.Species[2] = "C"
	if _, err := Compare(a, b, 5); err == nil {
		t.Error("missing species not reported")
	}
}
