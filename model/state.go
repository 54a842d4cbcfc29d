package model

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
)

// State is a saved state a run can start from: the amount of every
// species in every voxel at a time, e.g. the last frame of an earlier run.
type State struct {
	// TimeMs is the time of the state.
	TimeMs float64
	// Values are molecules, indexed [voxel*len(Species)+species].
	Values []float64
	// Integer says the values are whole molecule counts (a stochastic
	// run's): stochastic methods then use them as they are; otherwise
	// they round each value stochastically as from initial
	// concentrations. The ODE method uses the values as they are.
	Integer bool
	// Source names where the state came from, for messages.
	Source string
}

// StartFrom makes s start at st.TimeMs from st's amounts. The stimuli, the
// output times (multiples of each interval from the original start) and
// the end of the run stay those of the uninterrupted run, so the continued
// run's frames fall where the uninterrupted run's would.
func (s *System) StartFrom(st *State) error {
	n := s.NumVoxels() * len(s.Species)
	if len(st.Values) != n {
		return fmt.Errorf("%s: the state has %d values, the model %d voxels × %d species = %d", st.Source, len(st.Values), s.NumVoxels(), len(s.Species), n)
	}
	if !(st.TimeMs >= s.OutputOriginMs) || !(st.TimeMs < s.EndMs) {
		return fmt.Errorf("%s: the state's time %g ms is outside the run (%g to %g ms)", st.Source, st.TimeMs, s.OutputOriginMs, s.EndMs)
	}
	for i, x := range st.Values {
		if !(x >= 0) || x > MaxCount {
			return fmt.Errorf("%s: %s in voxel %d is %g molecules", st.Source, s.Species[i%len(s.Species)].ID, i/len(s.Species), x)
		}
	}
	s.Initial = append(s.Initial[:0], st.Values...)
	s.integerInitial = st.Integer
	s.StartMs = st.TimeMs
	h := sha256.New()
	for _, x := range st.Values {
		binary.Write(h, binary.LittleEndian, x)
	}
	s.InitialState = fmt.Sprintf("%s@%g (sha256 %x)", st.Source, st.TimeMs, h.Sum(nil)[:8])
	return nil
}

// roundInitial reports whether InitialCounts must round Initial
// stochastically (it holds expected amounts, not counts).
func (s *System) roundInitial() bool { return !s.integerInitial }

// exactCount converts a whole molecule count held as a float64.
func exactCount(x float64) int64 { return int64(math.Round(x)) }
