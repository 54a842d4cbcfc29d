package plasticity

import "math"

// Agreement with reference objectives (the original NEURON code's, run
// under NEURON 8.2.2 at its own settings): every objective within
// RefBand(value); for the Ca penalty, an experiment whose Ca peak lies
// within CaTieMM of the penalty threshold may be counted on either side of
// it, and then its peak is what is compared (see Agrees).

// CaTieMM is how close to the 2 µM threshold a Ca peak (mM) has to be for
// the penalty to count it either way.
const CaTieMM = 1e-5

// RefBand is the allowed |spinerd − reference| of an objective whose
// reference value is ref: 2e-3 + 1e-3·|ref|.
func RefBand(ref float64) float64 { return 2e-3 + 1e-3*math.Abs(ref) }

// Agrees reports, per objective of r, whether it agrees with ref within
// RefBand. The last objective is the Ca penalty Σ_k [M_k > threshold]·M_k:
// experiments whose peak M_k is within CaTieMM of the threshold are
// counted in or out, whichever choice brings the penalty within the band
// of ref (with a tied peak counted, that is a comparison of its peak with
// the reference's share of the penalty). Failed experiments count their
// missing-result error as Evaluate does.
func (d *Data) Agrees(r *Result, ref []float64) []bool {
	ok := make([]bool, len(r.Objectives))
	last := len(r.Objectives) - 1
	for k := 0; k < last && k < len(ref); k++ {
		ok[k] = math.Abs(r.Objectives[k]-ref[k]) <= RefBand(ref[k])
	}
	if last < 0 || last >= len(ref) {
		return ok
	}
	thr := d.Fixed.CaPenaltyMM
	base := 0.0
	var tied []float64
	for _, e := range r.Experiments {
		switch {
		case e.Err != nil:
			base += d.Fixed.MissingResultErr
		case math.Abs(e.CaPeakMM-thr) <= CaTieMM:
			tied = append(tied, e.CaPeakMM)
		case e.CaPeakMM > thr:
			base += e.CaPeakMM
		}
	}
	want := ref[last]
	for mask := 0; mask < 1<<len(tied); mask++ {
		p := base
		for i, m := range tied {
			if mask&(1<<i) != 0 {
				p += m
			}
		}
		if math.Abs(p-want) <= RefBand(want) {
			ok[last] = true
			break
		}
	}
	return ok
}
