package gillespie

import (
	"fmt"
	"io"
	"sort"
)

// WriteSubsystems writes what the multiscale method held in partial
// equilibrium during a run of durationMs that took wallSeconds: the
// firings absorbed and their share of all firings, the wall time per slow
// event (single events and leaps), and per reaction or diffusing species
// the instances found and the fraction of the run they spent in partial
// equilibrium. It writes nothing for a run without subsystems.
func (st Stats) WriteSubsystems(w io.Writer, durationMs, wallSeconds float64) error {
	if len(st.Subsystems) == 0 {
		return nil
	}
	fired := float64(st.ExactEvents) + float64(st.LeapFirings)
	slow := float64(st.ExactEvents + st.Leaps)
	if _, err := fmt.Fprintf(w, "partial equilibrium: %.4g firings absorbed (%.1f%% of all firings); %.0f ns per slow event (single event or leap)\n",
		st.Absorbed, 100*st.Absorbed/max(1, st.Absorbed+fired), 1e9*wallSeconds/max(1, slow)); err != nil {
		return err
	}
	ss := append([]Subsystem(nil), st.Subsystems...)
	sort.SliceStable(ss, func(a, b int) bool { return ss[a].Absorbed > ss[b].Absorbed })
	for _, s := range ss {
		frac := 0.0
		if durationMs > 0 && s.Voxels > 0 {
			frac = s.VoxelTimeMs / (durationMs * float64(s.Voxels))
		}
		if _, err := fmt.Fprintf(w, "  %-36s %5.1f%% of the run×voxels in partial equilibrium; %d %s, %d entries, %.4g firings absorbed\n",
			s.Name, 100*frac, s.Instances, map[string]string{"reaction": "voxels", "diffusion": "clusters"}[s.Kind], s.Activations, s.Absorbed); err != nil {
			return err
		}
	}
	return nil
}
