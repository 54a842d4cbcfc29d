// Package ampa turns AMPA-receptor subunit counts into synaptic
// conductance with the statistical tetramer model of Mäki-Marttunen et al.
// (2020, eLife 9:e55714): the membrane subunits (GluR1 and GluR2, in every
// phosphorylation and enzyme-bound state) assemble at random into
// tetramers, and the expected number of each kind of tetramer times its
// single-channel conductance is the synaptic conductance. It is pure
// arithmetic: no state, no I/O, no randomness.
//
// Inputs are counts (molecules; expectations need not be integers).
// Conductances are in pS. Relative conductances g(t)/g(t0) do not depend
// on the unit of the counts, because every term is homogeneous of degree
// one in (R1, R1p, R2).
//
// Differences from the original code (NEURON/calcconds.py), which does
// not guard these cases: with no membrane subunits (N = 0) the source
// gives NaN and this package gives g = 0 with all tetramer numbers 0; in
// the dimer-of-like-dimers variant, with no GluR1-only dimers the source
// gives NaN for the GluR1 terms and this package 0; negative inputs (from
// solver undershoot) are clamped to 0 and reported by Clamped.
package ampa

import (
	"fmt"
	"strings"
)

// Single-channel conductances (pS) of the four tetramer kinds.
const (
	GHom1NonPhospho = 12.4 // GluR1 homomer, no S831-phosphorylated subunit
	GHom1Phospho    = 18.9 // GluR1 homomer, ≥ 1 S831-phosphorylated subunit
	GHom2           = 2.2  // GluR2 homomer
	GHet            = 2.5  // GluR1/GluR2 heteromer
)

// Subunits are the three counts the conductance depends on.
type Subunits struct {
	R1  float64 // all membrane GluR1 (group 3)
	R1p float64 // membrane S831-phosphorylated GluR1 (group 1), ≤ R1
	R2  float64 // all membrane GluR2 (group 5)
}

// Tetramers are the expected numbers of tetramers of each kind; they sum
// to N/4 with N = R1 + R2.
type Tetramers struct {
	Hom1NonPhospho, Hom1Phospho, Hom2, Het float64
}

// Conductance returns Σ kind·single-channel conductance, in pS.
func (t Tetramers) Conductance() float64 {
	return GHom1NonPhospho*t.Hom1NonPhospho + GHom1Phospho*t.Hom1Phospho + GHom2*t.Hom2 + GHet*t.Het
}

// Clamped reports whether s had a negative count, and returns s with
// negative counts set to 0 (and R1p ≤ R1).
func (s Subunits) Clamped() (Subunits, bool) {
	c := s
	neg := false
	for _, p := range []*float64{&c.R1, &c.R1p, &c.R2} {
		if *p < 0 {
			*p, neg = 0, true
		}
	}
	if c.R1p > c.R1 {
		c.R1p = c.R1
	}
	return c, neg
}

// Random returns the expected tetramers when the four positions of each
// of the N/4 tetramers are filled independently from the membrane pool.
func Random(s Subunits) Tetramers {
	s, _ = s.Clamped()
	n := s.R1 + s.R2
	if n == 0 {
		return Tetramers{}
	}
	t := n / 4
	a := (s.R1 - s.R1p) / n
	b := s.R1 / n
	c := s.R2 / n
	a4, b4, c4 := pow4(a), pow4(b), pow4(c)
	return Tetramers{Hom1NonPhospho: t * a4, Hom1Phospho: t * (b4 - a4), Hom2: t * c4, Het: t * (1 - b4 - c4)}
}

// DimerOfDimers returns the expected tetramers when subunits first pair
// at random into N/2 dimers and tetramers form only from two dimers of the
// same kind (GluR1-only, GluR2-only or mixed); a GluR1-only dimer counts
// as phosphorylated when either subunit is S831-phosphorylated
// (calcconds_dimerdimer.py; Fig. 3—figure supplement 2A).
func DimerOfDimers(s Subunits) Tetramers {
	s, _ = s.Clamped()
	n := s.R1 + s.R2
	if n == 0 {
		return Tetramers{}
	}
	d := n / 2
	a := (s.R1 - s.R1p) / n
	b := s.R1 / n
	c := s.R2 / n
	dnp := d * a * a
	dp := d * (b*b - a*a)
	d22 := d * c * c
	dhet := d * (1 - b*b - c*c)
	sum := dnp + dp
	var t Tetramers
	if sum > 0 {
		q := dnp / sum
		t.Hom1NonPhospho = sum / 2 * q * q
		t.Hom1Phospho = sum / 2 * (1 - q*q)
	}
	t.Hom2 = d22 / 2
	t.Het = dhet / 2
	return t
}

func pow4(x float64) float64 { x *= x; return x * x }

// Model selects the assembly rule.
type Model int

const (
	// RandomTetramers is the paper's model (default).
	RandomTetramers Model = iota
	// DimersOfLikeDimers is the variant of Fig. 3—figure supplement 2A.
	DimersOfLikeDimers
)

// ParseModel reads "tetramer" or "dimer".
func ParseModel(s string) (Model, error) {
	switch strings.ToLower(s) {
	case "", "tetramer", "random":
		return RandomTetramers, nil
	case "dimer", "dimer-of-dimers", "dimerdimer":
		return DimersOfLikeDimers, nil
	}
	return 0, fmt.Errorf("unknown assembly model %q (use tetramer or dimer)", s)
}

// Conductance returns g in pS for subunit counts under model m.
func (m Model) Conductance(s Subunits) float64 {
	if m == DimersOfLikeDimers {
		return DimerOfDimers(s).Conductance()
	}
	return Random(s).Conductance()
}
