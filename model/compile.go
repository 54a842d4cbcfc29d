package model

import (
	"fmt"
	"math"

	"github.com/spinerd/spinerd/diag"
	"github.com/spinerd/spinerd/mesh"
)

// Options adjusts compilation.
type Options struct {
	// Method overrides the model's <calculation> when not empty
	// ("exact", "adaptive", "fixed", "ode" or a NeuroRD name).
	Method string
	// RuntimeMs overrides <runtime> when positive (the stimulus schedule
	// is expanded up to the new end).
	RuntimeMs float64
	// Tolerance overrides the adaptive method's ε when positive.
	Tolerance float64
	// FixedStepMs overrides <fixedStepDt> when positive.
	FixedStepMs float64
}

// Compile validates m, discretises its morphology and builds the numeric
// System: units converted to molecules, µm and ms, per-voxel propensity
// constants, diffusion hop rates, the expanded stimulus schedule and the
// expected initial counts. It returns the warnings and, when anything is
// wrong, a *diag.Error that lists every problem found.
func Compile(m *Model, opt Options) (*System, diag.List, error) {
	var d diag.List
	d.Add(Validate(m))
	msh, warns, err := mesh.Discretize(&m.Morphology, m.Discretization)
	d.Add(warns)
	if err != nil {
		d.Add(err.(*diag.Error).List)
	}
	s := &System{Model: m, Mesh: msh}
	s.settings(m, opt, &d)
	if msh == nil || d.HasErrors() {
		if msh != nil {
			// Region and site problems are still worth reporting.
			s.checkRegions(m, &d)
			s.stimuli(m, newSpeciesIndex(m.Species), &d)
		}
		return nil, d.Warnings(), d.Err()
	}
	ix := newSpeciesIndex(m.Species)
	s.species(m)
	s.channels(m, ix)
	if !s.checkSize(m, &d) {
		return nil, d.Warnings(), d.Err()
	}
	s.hops()
	s.checkRegions(m, &d)
	s.initial(m, ix)
	s.stimuli(m, ix, &d)
	s.outputs(m, ix, &d)
	if !d.HasErrors() {
		s.checkMagnitudes(m, ix, &d)
	}
	if s.Method == MethodFixed {
		for _, c := range s.Channels {
			if len(c.Reactants) != 1 {
				d.Warnf(m.Settings.At("calculation"), "<calculation>", "GRID_STEPPED_STOCHASTIC",
					"fixed-step propensities follow the reaction's rate law; NeuroRD's GRID_STEPPED_STOCHASTIC scales those of zero-order and multi-reactant reactions (here %q) by a spurious factor of PUVC = %g (its pitfall P11)", c.ReactionID, PUVC)
				break
			}
		}
	}
	if d.HasErrors() {
		return nil, d.Warnings(), d.Err()
	}
	return s, d.Warnings(), nil
}

func (s *System) settings(m *Model, opt Options, d *diag.List) {
	st := &m.Settings
	s.Method = MethodMultiscale // GRID_ADAPTIVE's method, NeuroRD's default
	if mt, ok := ParseCalculation(st.Calculation); ok {
		s.Method = mt
	}
	if opt.Method != "" {
		mt, err := ParseMethod(opt.Method)
		if err != nil {
			d.OptionErrorf("Method", opt.Method, "%v", err)
		} else {
			s.Method = mt
		}
	}
	s.Tolerance = st.Tolerance
	s.LeapMinJump = st.LeapMinJump
	s.FixedStepMs = st.FixedStepMs
	s.StartMs = st.StartMs
	s.OutputOriginMs = st.StartMs
	s.EndMs = st.StartMs + st.RuntimeMs
	if st.HasEnd {
		s.EndMs = st.EndMs
	}
	s.Seed = st.SimulationSeed
	if opt.RuntimeMs > 0 {
		s.EndMs = s.StartMs + opt.RuntimeMs
	} else if opt.RuntimeMs < 0 || math.IsNaN(opt.RuntimeMs) {
		d.OptionErrorf("RuntimeMs", fmt.Sprint(opt.RuntimeMs), "runtime %g ms must be positive", opt.RuntimeMs)
	}
	if opt.Tolerance > 0 && opt.Tolerance <= 1 {
		s.Tolerance = opt.Tolerance
	} else if opt.Tolerance != 0 {
		d.OptionErrorf("Tolerance", fmt.Sprint(opt.Tolerance), "tolerance %g must be in (0, 1]", opt.Tolerance)
	}
	if opt.FixedStepMs > 0 {
		s.FixedStepMs = opt.FixedStepMs
	} else if opt.FixedStepMs < 0 || math.IsNaN(opt.FixedStepMs) {
		d.OptionErrorf("FixedStepMs", fmt.Sprint(opt.FixedStepMs), "fixed step %g ms must be positive", opt.FixedStepMs)
	}
	if s.Method.Info().NeedsFixedStep && !(s.FixedStepMs > 0) {
		if opt.Method != "" {
			d.OptionErrorf("Method", opt.Method, "the %s method needs a step: give <fixedStepDt> in the model or a fixed step", s.Method)
		} else {
			d.Errorf(st.At("calculation"), "<calculation>", st.Calculation, "%s needs a positive <fixedStepDt> (ms)", st.Calculation)
		}
	}
}

func (s *System) species(m *Model) {
	s.Species = make([]SpeciesInfo, len(m.Species))
	for i, sp := range m.Species {
		f, _ := DiffusionUnitFactor(sp.KDiffUnit)
		s.Species[i] = SpeciesInfo{ID: sp.ID, Name: sp.Name, DiffusionUm2PerMs: sp.KDiff * f}
	}
}

func (s *System) channels(m *Model, ix speciesIndex) {
	nv := s.NumVoxels()
	omegaPow := map[int][]float64{}
	for ri := range m.Reactions {
		r := &m.Reactions[ri]
		first := len(s.Channels)
		for dir, k := range []float64{r.ForwardRate, r.ReverseRate} {
			if !(k > 0) {
				continue
			}
			in, out := r.Reactants, r.Products
			if dir == 1 {
				in, out = out, in
			}
			c := Channel{Reaction: ri, ReactionID: r.ID, Reverse: dir == 1, Partner: -1, RateConst: k}
			net := map[int]int{}
			var order []int
			for _, t := range in {
				sp, _ := ix.reaction(t.Species)
				c.Reactants = append(c.Reactants, Reactant{Species: sp, N: t.N, Power: t.Power})
				c.Order += t.Power
				if _, ok := net[sp]; !ok {
					order = append(order, sp)
				}
				net[sp] -= t.N
			}
			for _, t := range out {
				sp, _ := ix.reaction(t.Species)
				c.Products = append(c.Products, Product{Species: sp, N: t.N})
				if _, ok := net[sp]; !ok {
					order = append(order, sp)
				}
				net[sp] += t.N
			}
			for _, sp := range order {
				if net[sp] != 0 {
					c.Changes = append(c.Changes, Change{Species: sp, Delta: net[sp]})
				}
			}
			if omegaPow[c.Order] == nil {
				op := make([]float64, nv)
				for v := range op {
					op[v] = math.Pow(s.Omega(v), float64(1-c.Order))
				}
				omegaPow[c.Order] = op
			}
			c.omegaPow = omegaPow[c.Order]
			s.Channels = append(s.Channels, c)
		}
		if len(s.Channels)-first == 2 {
			s.Channels[first].Partner = first + 1
			s.Channels[first+1].Partner = first
		}
	}
}

func (s *System) hops() {
	type key struct{ sp, from, to int }
	index := map[key]int{}
	for a := range s.Mesh.Voxels {
		va := &s.Mesh.Voxels[a]
		for _, nb := range va.Neighbours {
			if !(nb.CouplingUm > 0) {
				continue
			}
			for sp, info := range s.Species {
				if !(info.DiffusionUm2PerMs > 0) {
					continue
				}
				h := Hop{Species: sp, From: a, To: nb.Voxel, RatePerMs: info.DiffusionUm2PerMs * nb.CouplingUm / va.VolumeUm3, Reverse: -1}
				index[key{sp, a, nb.Voxel}] = len(s.Hops)
				s.Hops = append(s.Hops, h)
			}
		}
	}
	for i := range s.Hops {
		h := &s.Hops[i]
		if j, ok := index[key{h.Species, h.To, h.From}]; ok {
			h.Reverse = j
		}
	}
}

// checkRegions reports initial-condition and output regions no voxel has.
func (s *System) checkRegions(m *Model, d *diag.List) {
	for _, set := range m.Concentrations {
		if set.Region != "" && !s.Mesh.HasRegion(set.Region) {
			d.Errorf(set.Pos, fmt.Sprintf("<ConcentrationSet region=%q>", set.Region), set.Region, "no voxel is in region %q (regions: %v)", set.Region, s.Mesh.Regions)
		}
	}
	for _, set := range m.Surfaces {
		if set.Region != "" && !s.Mesh.HasRegion(set.Region) {
			d.Errorf(set.Pos, fmt.Sprintf("<SurfaceDensitySet region=%q>", set.Region), set.Region, "no voxel is in region %q (regions: %v)", set.Region, s.Mesh.Regions)
		}
	}
	for _, o := range m.OutputSets {
		if o.Region != "" && !s.Mesh.HasRegion(o.Region) {
			d.Errorf(o.Pos, fmt.Sprintf("<OutputSet filename=%q>", o.Filename), o.Region, "no voxel is in region %q (regions: %v)", o.Region, s.Mesh.Regions)
		}
	}
}

// initial is §5: volume concentrations with per-species fallback from the
// region's set to the default set; then, in submembrane voxels, the
// surface densities of one set (the region's, else the default one)
// replace the volume-derived values of the species that set lists.
func (s *System) initial(m *Model, ix speciesIndex) {
	ns := len(s.Species)
	nv := s.NumVoxels()
	s.Initial = make([]float64, nv*ns)
	concOf := func(set *ConcentrationSet) map[int]float64 {
		out := map[int]float64{}
		for _, c := range set.Entries {
			sp, ok := ix.id(c.Species)
			if !ok {
				continue
			}
			v := c.Value
			if c.Unit == PerCubicMicron {
				v *= NumberDensityToNanoMolar
			}
			out[sp] = v // the same species twice: the last wins
		}
		return out
	}
	var def map[int]float64
	byRegion := map[string]map[int]float64{}
	for i := range m.Concentrations {
		set := &m.Concentrations[i]
		if set.Region == "" {
			def = concOf(set)
		} else {
			byRegion[set.Region] = concOf(set)
		}
	}
	surfOf := func(set *SurfaceDensitySet) map[int]float64 {
		out := map[int]float64{}
		for _, c := range set.Entries {
			if sp, ok := ix.id(c.Species); ok {
				out[sp] = c.PicoSD
			}
		}
		return out
	}
	var sdef map[int]float64
	hasSdef := false
	sByRegion := map[string]map[int]float64{}
	for i := range m.Surfaces {
		set := &m.Surfaces[i]
		if set.Region == "" {
			sdef, hasSdef = surfOf(set), true
		} else {
			sByRegion[set.Region] = surfOf(set)
		}
	}
	for v := 0; v < nv; v++ {
		vx := &s.Mesh.Voxels[v]
		omega := s.Omega(v)
		reg := byRegion[vx.Region]
		for sp := 0; sp < ns; sp++ {
			c, ok := reg[sp]
			if !ok {
				c = def[sp]
			}
			s.Initial[v*ns+sp] = c * omega
		}
		if vx.ExposedAreaUm2 > 0 {
			set, ok := sByRegion[vx.Region]
			if !ok && hasSdef {
				set, ok = sdef, true
			}
			if ok {
				for sp, sigma := range set {
					s.Initial[v*ns+sp] = sigma * vx.ExposedAreaUm2 * PUVC
				}
			}
		}
	}
}

func (s *System) outputs(m *Model, ix speciesIndex, d *diag.List) {
	all := make([]int, len(s.Species))
	for i := range all {
		all[i] = i
	}
	allVox := make([]int, s.NumVoxels())
	for i := range allVox {
		allVox[i] = i
	}
	s.Main = Output{Name: "__main__", Species: all, Voxels: allVox, IntervalMs: m.Settings.OutputIntervalMs}
	if len(m.OutputSpecies) > 0 {
		s.Main.Species = nil
		for _, id := range m.OutputSpecies {
			if sp, ok := ix.id(id); ok {
				s.Main.Species = append(s.Main.Species, sp)
			}
		}
	}
	for _, o := range m.OutputSets {
		out := Output{Name: o.Filename, IntervalMs: o.IntervalMs}
		if out.IntervalMs == 0 {
			out.IntervalMs = m.Settings.FixedStepMs
		}
		if out.IntervalMs == 0 {
			out.IntervalMs = math.Inf(1)
		}
		if len(o.Species) == 0 {
			out.Species = all
		}
		for _, id := range o.Species {
			if sp, ok := ix.id(id); ok {
				out.Species = append(out.Species, sp)
			}
		}
		for v := range s.Mesh.Voxels {
			if o.Region == "" || s.Mesh.Voxels[v].Region == o.Region {
				out.Voxels = append(out.Voxels, v)
			}
		}
		s.OutputSets = append(s.OutputSets, out)
	}
}
