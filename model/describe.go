package model

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/spinerd/spinerd/diag"
)

// Describe writes a human-readable account of a compiled system: first a
// summary (species, reaction channels, voxels, volume, method, times,
// stimuli with their pulse counts, outputs, total molecules, warnings),
// then tables of species, channels, voxels and diffusion. seed is used to
// round the initial counts for the molecule total.
func Describe(w io.Writer, s *System, warnings diag.List, seed uint64, notes ...string) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	m := s.Model
	ns, nv := len(s.Species), s.NumVoxels()
	p("species: %d\n", ns)
	p("reaction channels: %d\n", len(s.Channels))
	p("voxels: %d\n", nv)
	p("volume: %s µm³\n", fmtG(s.Mesh.TotalVolumeUm3()))
	p("model: %s\n", m.Source)
	p("method: %s (%s)", s.Method, s.Method.Calculation())
	if s.Method.Info().UsesTolerance {
		p(", tolerance %s", fmtG(s.Tolerance))
	}
	if s.FixedStepMs > 0 {
		p(", fixed step %s ms", fmtG(s.FixedStepMs))
	}
	p("\n")
	p("time: %s to %s ms, output every %s ms\n", fmtG(s.StartMs), fmtG(s.EndMs), fmtG(s.Main.IntervalMs))
	if s.Seed != 0 {
		p("simulation seed: %d\n", s.Seed)
	} else {
		p("simulation seed: none in the model (give --seed to reproduce a run)\n")
	}
	p("geometry: %s, depth2D %s µm, element size %s µm\n", s.Mesh.Geometry, fmtG(s.Mesh.Depth2DUm), fmtG(s.Mesh.ElementSizeUm))
	p("regions: %s\n", strings.Join(s.Mesh.Regions, ", "))
	for _, r := range s.Mesh.Regions {
		n, vol := 0, 0.0
		for i := range s.Mesh.Voxels {
			if s.Mesh.Voxels[i].Region == r {
				n++
				vol += s.Mesh.Voxels[i].VolumeUm3
			}
		}
		if n > 0 {
			p("  region %s: %d voxel%s, %s µm³\n", r, n, plural(n), fmtG(vol))
		}
	}
	if cmin, cmax, hmin, hmax, ok := s.couplingExtremes(); ok {
		p("diffusion couplings: %s to %s µm (contact area / centre distance); hop rates %s to %s per ms per molecule\n", fmtG(cmin), fmtG(cmax), fmtG(hmin), fmtG(hmax))
	}
	if len(s.Mesh.Spines) > 0 {
		p("spines: %d\n", len(s.Mesh.Spines))
	}
	var diffusing []string
	for _, sp := range s.Species {
		if sp.DiffusionUm2PerMs > 0 {
			diffusing = append(diffusing, sp.ID)
		}
	}
	p("diffusing species: %d", len(diffusing))
	if len(diffusing) > 0 {
		p(" (%s)", strings.Join(diffusing, ", "))
	}
	p("\n")
	p("diffusion channels: %d\n", len(s.Hops))
	for _, n := range notes {
		p("%s\n", n)
	}
	p("stimuli: %d\n", len(s.Stimuli))
	for i := range s.Stimuli {
		st := &s.Stimuli[i]
		name := "?"
		if st.Species >= 0 {
			name = s.Species[st.Species].ID
		}
		p("  stimulus %d: %s into %s (%d voxel%s), pulses: %d, %s", i+1, name, st.Site, len(st.Targets), plural(len(st.Targets)), st.NumPulses, st.Distribution)
		if len(st.Pulses) > 0 {
			first, last := st.Pulses[0], st.Pulses[len(st.Pulses)-1]
			p(", %s to %s ms, %s molecules expected", fmtG(first.StartMs), fmtG(math.Min(last.EndMs, s.EndMs)), fmtG(st.Molecules(s.StartMs, s.EndMs)))
		}
		p("\n")
	}
	p("output sets: %d (main output: %d species × %d voxels every %s ms)\n", len(s.OutputSets), len(s.Main.Species), len(s.Main.Voxels), fmtG(s.Main.IntervalMs))
	for _, o := range s.OutputSets {
		p("  %s: %d species × %d voxels every %s ms\n", o.Name, len(o.Species), len(o.Voxels), fmtG(o.IntervalMs))
	}
	counts := s.InitialCounts(seed)
	var expected float64
	var total int64
	for i, x := range s.Initial {
		expected += x
		total += counts[i]
	}
	p("total molecules: %d (rounded with seed %d; expected %s)\n", total, seed, fmtG(expected))
	p("warnings: %d\n", len(warnings))
	for _, wn := range warnings {
		p("  %s\n", wn)
	}

	p("\nspecies (index, id, name, D µm²/ms, initial molecules summed over voxels):\n")
	for i, sp := range s.Species {
		var n int64
		for v := 0; v < nv; v++ {
			n += counts[v*ns+i]
		}
		p("  %d\t%s\t%s\t%s\t%d\n", i, sp.ID, sp.Name, fmtG(sp.DiffusionUm2PerMs), n)
	}
	p("\nreaction channels (index, <Reaction> #, id, direction, equation, k in nM^(1-order)/ms, order):\n")
	for i := range s.Channels {
		c := &s.Channels[i]
		dir := "forward"
		if c.Reverse {
			dir = "reverse"
		}
		p("  %d\t%d\t%s\t%s\t%s\t%s\t%d\n", i, c.Reaction+1, c.ReactionID, dir, s.equation(c), fmtG(c.RateConst), c.Order)
	}
	p("\nvoxels (index, volume µm³, region, type, label, group, exposed area µm², neighbours):\n")
	for i := range s.Mesh.Voxels {
		v := &s.Mesh.Voxels[i]
		nb := make([]string, len(v.Neighbours))
		for k, n := range v.Neighbours {
			nb[k] = fmt.Sprintf("%d(G=%s µm)", n.Voxel, fmtG(n.CouplingUm))
		}
		p("  %d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i, fmtG(v.VolumeUm3), v.Region, v.Type(), dash(v.Label), dash(v.Group), fmtG(v.ExposedAreaUm2), dash(strings.Join(nb, " ")))
	}
	return bw.Flush()
}

// couplingExtremes returns the smallest and largest coupling between
// neighbouring voxels (µm) and the slowest and fastest hop rate (per ms
// per molecule).
func (s *System) couplingExtremes() (cmin, cmax, hmin, hmax float64, ok bool) {
	cmin, hmin = math.Inf(1), math.Inf(1)
	for _, c := range s.Mesh.Couplings {
		g := c.G()
		cmin, cmax = math.Min(cmin, g), math.Max(cmax, g)
		ok = true
	}
	for _, h := range s.Hops {
		hmin, hmax = math.Min(hmin, h.RatePerMs), math.Max(hmax, h.RatePerMs)
	}
	if len(s.Hops) == 0 {
		hmin = 0
	}
	return cmin, cmax, hmin, hmax, ok
}

func (s *System) equation(c *Channel) string {
	side := func(n, power []int, sp []int) string {
		if len(sp) == 0 {
			return "∅"
		}
		parts := make([]string, len(sp))
		for i := range sp {
			t := s.Species[sp[i]].ID
			if n[i] != 1 {
				t = fmt.Sprintf("%d %s", n[i], t)
			}
			if power != nil && power[i] != n[i] {
				t += fmt.Sprintf(" (power %d)", power[i])
			}
			parts[i] = t
		}
		return strings.Join(parts, " + ")
	}
	var rn, rp, rs, pn, ps []int
	for _, r := range c.Reactants {
		rn, rp, rs = append(rn, r.N), append(rp, r.Power), append(rs, r.Species)
	}
	for _, q := range c.Products {
		pn, ps = append(pn, q.N), append(ps, q.Species)
	}
	return side(rn, rp, rs) + " → " + side(pn, nil, ps)
}

func fmtG(x float64) string {
	if math.IsInf(x, 1) {
		return "∞"
	}
	return fmt.Sprintf("%.6g", x)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
