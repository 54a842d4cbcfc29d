package ampa

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func rel(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b))
}

// The worked examples of ampa-tetramer.md §7 (12 significant digits).
func TestWorkedExamples(t *testing.T) {
	for _, c := range []struct {
		name          string
		s             Subunits
		np, p, h2, ht float64
		g, gDimer     float64
	}{
		{"A", Subunits{27.099, 0, 77.0816}, 0.119231911236, 0, 7.80516932478, 18.120748764, 63.9517201238, 78.2814747977},
		{"B", Subunits{100, 40, 60}, 0.791015625, 5.3125, 0.791015625, 33.10546875, 194.71875, 341.4},
		{"C", Subunits{80, 20, 0}, 6.328125, 13.671875, 0, 0, 336.8671875, 336.8671875},
		{"D", Subunits{0, 0, 120}, 0, 0, 30, 0, 66.0, 66.0},
		{"E", Subunits{150, 60, 60}, 1.77113702624, 11.8950437318, 0.349854227405, 38.4839650146, 343.758017493, 546.685714286},
	} {
		tt := Random(c.s)
		for _, q := range [][2]float64{{tt.Hom1NonPhospho, c.np}, {tt.Hom1Phospho, c.p}, {tt.Hom2, c.h2}, {tt.Het, c.ht}, {tt.Conductance(), c.g}, {DimerOfDimers(c.s).Conductance(), c.gDimer}} {
			if rel(q[0], q[1]) > 1e-9 {
				t.Errorf("case %s: %.12g, want %.12g", c.name, q[0], q[1])
			}
		}
	}
	if r := Random(Subunits{150, 60, 60}).Conductance() / Random(Subunits{100, 40, 60}).Conductance(); rel(r, 1.76540788955) > 1e-9 {
		t.Errorf("E/B = %.12g", r)
	}
	if r := DimerOfDimers(Subunits{150, 60, 60}).Conductance() / DimerOfDimers(Subunits{100, 40, 60}).Conductance(); rel(r, 1.60130554858) > 1e-9 {
		t.Errorf("E/B dimer = %.12g", r)
	}
	// Intermediate dimer numbers of case B: tetramers 2.025, 13.6, 5.625, 18.75.
	d := DimerOfDimers(Subunits{100, 40, 60})
	for _, q := range [][2]float64{{d.Hom1NonPhospho, 2.025}, {d.Hom1Phospho, 13.6}, {d.Hom2, 5.625}, {d.Het, 18.75}} {
		if rel(q[0], q[1]) > 1e-12 {
			t.Errorf("dimer B: %g, want %g", q[0], q[1])
		}
	}
}

// Properties: tetramers sum to N/4; relative conductance is scale
// invariant; g grows with R1p at fixed R1, R2; the dimer variant equals
// the tetramer model without GluR2; N = 0 gives 0; negatives are clamped.
func TestProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		s := Subunits{R1: 200 * r.Float64(), R2: 200 * r.Float64()}
		s.R1p = s.R1 * r.Float64()
		for _, tt := range []Tetramers{Random(s), DimerOfDimers(s)} {
			if sum := tt.Hom1NonPhospho + tt.Hom1Phospho + tt.Hom2 + tt.Het; rel(sum, (s.R1+s.R2)/4) > 1e-12 {
				t.Fatalf("%+v: tetramers sum to %g", s, sum)
			}
		}
		k := 0.1 + 10*r.Float64()
		sc := Subunits{k * s.R1, k * s.R1p, k * s.R2}
		if rel(Random(sc).Conductance()/k, Random(s).Conductance()) > 1e-12 {
			t.Fatalf("not homogeneous at %+v", s)
		}
		more := s
		more.R1p = math.Min(s.R1, s.R1p+1)
		if Random(more).Conductance() < Random(s).Conductance() {
			t.Fatalf("g decreases with R1p at %+v", s)
		}
		s.R2 = 0
		if rel(Random(s).Conductance(), DimerOfDimers(s).Conductance()) > 1e-12 {
			t.Fatalf("dimer variant differs without GluR2 at %+v", s)
		}
	}
	if g := Random(Subunits{}).Conductance(); g != 0 {
		t.Errorf("N = 0: g = %g", g)
	}
	if c, neg := (Subunits{R1: -1, R1p: 0, R2: 5}).Clamped(); !neg || c.R1 != 0 {
		t.Errorf("clamp: %+v %v", c, neg)
	}
}

// The explicit lists equal the name rules on the bundled model's
// receptor species, and NewGroups refuses a model without them or with
// extra receptor species.
func TestGroups(t *testing.T) {
	r1, r1p, r2 := GroupNames()
	all := append(append(append([]string{"Ca", "GluR1", "GluR1_S831", "GluR2", "GluR2_S880"}, r1...), r2...), "PKAc")
	g, err := NewGroups(all)
	if err != nil {
		t.Fatal(err)
	}
	rr1, rr1p, rr2 := RuleGroups(all)
	if !slices.Equal(rr1, r1) || !slices.Equal(rr2, r2) || len(rr1p) != len(r1p) {
		t.Errorf("rules give %v / %v / %v", rr1, rr1p, rr2)
	}
	x := make([]float64, len(all))
	for i := range x {
		x[i] = 1
	}
	if s := g.Subunits(x); s.R1 != 21 || s.R1p != 6 || s.R2 != 5 {
		t.Errorf("subunits %+v", s)
	}
	if _, err := NewGroups(all[:10]); err == nil {
		t.Error("a model without the receptor species accepted")
	}
	if _, err := NewGroups(append(all, "GluR1_memb_S831_new")); err == nil {
		t.Error("an extra membrane receptor species accepted")
	}
}
