package model

// Sink receives the output of a stochastic run.
//
// Set 0 is the main output (System.Main), set i ≥ 1 is System.OutputSets[i−1].
// Counts holds, voxel-major, the counts of the set's species in each of its
// voxels: counts[k*len(set.Species)+j] is species set.Species[j] in voxel
// set.Voxels[k]. The slice is only valid during the call.
type Sink interface {
	Counts(set int, timeMs float64, counts []int64) error
}

// OutputSet returns output set i (0: main).
func (s *System) OutputSet(i int) *Output {
	if i == 0 {
		return &s.Main
	}
	return &s.OutputSets[i-1]
}

// NumOutputSets returns the number of output sets including the main one.
func (s *System) NumOutputSets() int { return 1 + len(s.OutputSets) }

// ValueSink receives the output of a deterministic run: like Sink.Counts,
// with real molecule numbers.
type ValueSink interface {
	Values(set int, timeMs float64, values []float64) error
}
