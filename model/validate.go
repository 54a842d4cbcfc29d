package model

import (
	"fmt"
	"math"

	"github.com/spinerd/spinerd/diag"
)

// speciesIndex resolves species references.
type speciesIndex struct {
	byID   map[string]int
	byName map[string]int
}

func newSpeciesIndex(sp []Species) speciesIndex {
	ix := speciesIndex{byID: map[string]int{}, byName: map[string]int{}}
	for i, s := range sp {
		if _, dup := ix.byID[s.ID]; !dup {
			ix.byID[s.ID] = i
		}
		if _, dup := ix.byName[s.Name]; !dup && s.Name != "" {
			ix.byName[s.Name] = i
		}
	}
	return ix
}

// reaction resolves a reaction's species reference: id or name.
func (ix speciesIndex) reaction(ref string) (int, bool) {
	if i, ok := ix.byID[ref]; ok {
		return i, true
	}
	i, ok := ix.byName[ref]
	return i, ok
}

// id resolves an id-only reference (initial conditions, stimuli, outputs).
func (ix speciesIndex) id(ref string) (int, bool) {
	i, ok := ix.byID[ref]
	return i, ok
}

// unknown formats the message for an unresolved id-only reference.
func (ix speciesIndex) unknown(ref string, sp []Species) string {
	if i, ok := ix.byName[ref]; ok {
		return fmt.Sprintf("unknown species id %q (it is the name of species %q; initial conditions, stimuli and outputs use ids)", ref, sp[i].ID)
	}
	return fmt.Sprintf("unknown species %q", ref)
}

func reactionName(r *Reaction, i int) string {
	if r.ID != "" {
		return fmt.Sprintf("<Reaction id=%q> (#%d)", r.ID, i+1)
	}
	return fmt.Sprintf("<Reaction #%d>", i+1)
}

// Validate checks everything that does not need the mesh: species,
// reactions, run settings, and the species named by initial conditions,
// stimuli and outputs. It returns errors and warnings together; every
// problem is reported, not only the first.
func Validate(m *Model) diag.List {
	var d diag.List
	validateSpecies(m, &d)
	ix := newSpeciesIndex(m.Species)
	validateReactions(m, ix, &d)
	validateSettings(m, &d)
	validateInitial(m, ix, &d)
	validateStimuli(m, ix, &d)
	validateOutputs(m, ix, &d)
	return d
}

func validateSpecies(m *Model, d *diag.List) {
	ids := map[string]int{}
	for i, s := range m.Species {
		el := fmt.Sprintf("<Specie name=%q>", s.Name)
		if s.Name == "" {
			d.Errorf(s.Pos, "<Specie>", "", "<Specie> needs a name")
			continue
		}
		if j, dup := ids[s.ID]; dup {
			d.Errorf(s.Pos, el, s.ID, "duplicate species id %q (first at %s)", s.ID, m.Species[j].Pos)
		} else {
			ids[s.ID] = i
		}
		if math.IsNaN(s.KDiff) || s.KDiff < 0 || math.IsInf(s.KDiff, 0) {
			d.Errorf(s.Pos, el, fmt.Sprint(s.KDiff), "kdiff %g must be a non-negative number", s.KDiff)
		}
		if _, err := DiffusionUnitFactor(s.KDiffUnit); err != nil {
			d.Errorf(s.Pos, el, s.KDiffUnit, "kdiffunit: %v", err)
		}
	}
	// A name equal to another species' id is ambiguous in reactions.
	for i, s := range m.Species {
		if j, ok := ids[s.Name]; ok && j != i && s.Name != s.ID {
			d.Errorf(s.Pos, fmt.Sprintf("<Specie name=%q>", s.Name), s.Name, "name %q is the id of another species (at %s)", s.Name, m.Species[j].Pos)
		}
	}
}

func validateReactions(m *Model, ix speciesIndex, d *diag.List) {
	ids := map[string]int{}
	for i := range m.Reactions {
		r := &m.Reactions[i]
		el := reactionName(r, i)
		if r.ID != "" {
			if j, dup := ids[r.ID]; dup {
				d.Warnf(r.Pos, el, r.ID, "reaction id %q is also used by reaction #%d (%s); spinerd identifies reactions by position", r.ID, j+1, m.Reactions[j].Pos)
			} else {
				ids[r.ID] = i
			}
		}
		if len(r.Reactants) == 0 && len(r.Products) == 0 {
			d.Errorf(r.Pos, el, "", "reaction has neither reactant nor product")
		}
		for side, terms := range [][]Term{r.Reactants, r.Products} {
			kind := [...]string{"Reactant", "Product"}[side]
			seen := map[int]bool{}
			for _, t := range terms {
				tel := fmt.Sprintf("%s/<%s specieID=%q>", el, kind, t.Species)
				s, ok := ix.reaction(t.Species)
				if !ok {
					d.Errorf(t.Pos, tel, t.Species, "unknown species %q", t.Species)
				} else if seen[s] {
					d.Errorf(t.Pos, tel, t.Species, "duplicate %s %q: use n= or power= instead of repeating it", kind, t.Species)
				}
				seen[s] = true
				if t.Power < 0 {
					d.Errorf(t.Pos, tel, fmt.Sprint(t.Power), "power=%d must be ≥ 0", t.Power)
				}
				if t.N < 0 && t.N != t.Power {
					d.Errorf(t.Pos, tel, fmt.Sprint(t.N), "n=%d must be ≥ 0", t.N)
				}
			}
		}
		for i, rate := range []struct {
			name string
			v    float64
		}{{"forwardRate", r.ForwardRate}, {"reverseRate", r.ReverseRate}} {
			if math.IsNaN(rate.v) {
				continue // unreadable: already reported by the reader
			}
			pos := r.RatePos[i]
			if pos == (diag.Pos{}) {
				pos = r.Pos
			}
			if rate.v < 0 || math.IsInf(rate.v, 0) {
				d.Errorf(pos, el+"/<"+rate.name+">", fmt.Sprint(rate.v), "%s %g must be a non-negative finite number", rate.name, rate.v)
			}
		}
		if r.ForwardRate == 0 && r.ReverseRate == 0 {
			d.Warnf(r.Pos, el, "", "both rates are zero: the reaction never fires")
		}
	}
}

func validateSettings(m *Model, d *diag.List) {
	s := &m.Settings
	root := s.At("SDRun")
	if !s.HasRuntime && !s.HasEnd {
		d.Errorf(root, "<SDRun>", "", "missing <runtime> (ms)")
	} else if s.HasRuntime && (s.RuntimeMs < 0 || math.IsNaN(s.RuntimeMs) || math.IsInf(s.RuntimeMs, 0)) {
		d.Errorf(s.At("runtime"), "<runtime>", fmt.Sprint(s.RuntimeMs), "runtime %g ms must be a non-negative finite number", s.RuntimeMs)
	}
	if s.HasEnd && s.EndMs < s.StartMs {
		d.Errorf(s.At("endtime"), "<endtime>", fmt.Sprint(s.EndMs), "endtime %g ms is before starttime %g ms", s.EndMs, s.StartMs)
	}
	if !s.HasOutputInterval {
		d.Errorf(root, "<SDRun>", "", "missing <outputInterval> (ms); NeuroRD loops forever without it")
	} else if !(s.OutputIntervalMs > 0) || math.IsInf(s.OutputIntervalMs, 0) {
		d.Errorf(s.At("outputInterval"), "<outputInterval>", fmt.Sprint(s.OutputIntervalMs), "outputInterval %g ms must be positive (NeuroRD loops forever on 0)", s.OutputIntervalMs)
	}
	if s.Calculation == "" {
		d.Warnf(root, "<SDRun>", "", "no <calculation>: using GRID_ADAPTIVE (NeuroRD stops with an error)")
	} else if _, ok := ParseCalculation(s.Calculation); !ok {
		d.Errorf(s.At("calculation"), "<calculation>", s.Calculation, "unknown calculation %q (use %s)", s.Calculation, CalculationNames())
	}
	if math.IsNaN(s.Tolerance) || s.Tolerance < 0 || s.Tolerance > 1 {
		d.Errorf(s.At("tolerance"), "<tolerance>", fmt.Sprint(s.Tolerance), "tolerance %g must be in [0, 1]", s.Tolerance)
	}
	if s.LeapMinJump < 0 || math.IsNaN(s.LeapMinJump) {
		d.Errorf(s.At("leap_min_jump"), "<leap_min_jump>", fmt.Sprint(s.LeapMinJump), "leap_min_jump %g must be ≥ 0", s.LeapMinJump)
	}
}

func validateInitial(m *Model, ix speciesIndex, d *diag.List) {
	seen := map[string]diag.Pos{}
	for _, set := range m.Concentrations {
		el := "<ConcentrationSet>"
		if set.Region != "" {
			el = fmt.Sprintf("<ConcentrationSet region=%q>", set.Region)
		}
		if p, dup := seen[set.Region]; dup {
			d.Errorf(set.Pos, el, set.Region, "a second concentration set for region %q (first at %s)", set.Region, p)
		}
		seen[set.Region] = set.Pos
		for _, c := range set.Entries {
			kind := "NanoMolarity"
			if c.Unit == PerCubicMicron {
				kind = "NumberDensity"
			}
			cel := fmt.Sprintf("%s/<%s specieID=%q>", el, kind, c.Species)
			if _, ok := ix.id(c.Species); !ok {
				d.Errorf(c.Pos, cel, c.Species, "%s", ix.unknown(c.Species, m.Species))
			}
			if c.Value < 0 || math.IsInf(c.Value, 0) || math.IsNaN(c.Value) {
				d.Errorf(c.Pos, cel, fmt.Sprint(c.Value), "initial value %g must be a non-negative finite number", c.Value)
			}
		}
	}
	seen = map[string]diag.Pos{}
	for _, set := range m.Surfaces {
		el := "<SurfaceDensitySet>"
		if set.Region != "" {
			el = fmt.Sprintf("<SurfaceDensitySet region=%q>", set.Region)
		}
		if p, dup := seen[set.Region]; dup {
			d.Errorf(set.Pos, el, set.Region, "a second surface density set for region %q (first at %s)", set.Region, p)
		}
		seen[set.Region] = set.Pos
		for _, c := range set.Entries {
			cel := fmt.Sprintf("%s/<PicoSD specieID=%q>", el, c.Species)
			if _, ok := ix.id(c.Species); !ok {
				d.Errorf(c.Pos, cel, c.Species, "%s", ix.unknown(c.Species, m.Species))
			}
			if c.PicoSD < 0 || math.IsInf(c.PicoSD, 0) || math.IsNaN(c.PicoSD) {
				d.Errorf(c.Pos, cel, fmt.Sprint(c.PicoSD), "surface density %g pmol/m² must be a non-negative finite number", c.PicoSD)
			}
		}
	}
}

func injectionName(in *Injection, i int) string {
	return fmt.Sprintf("<InjectionStim specieID=%q> (#%d)", in.Species, i+1)
}

func validateStimuli(m *Model, ix speciesIndex, d *diag.List) {
	for i := range m.Stimuli {
		in := &m.Stimuli[i]
		el := injectionName(in, i)
		if in.Species == "" {
			d.Errorf(in.Pos, el, "", "<InjectionStim> needs specieID")
		} else if _, ok := ix.id(in.Species); !ok {
			d.Errorf(in.Pos, el, in.Species, "%s", ix.unknown(in.Species, m.Species))
		}
		if in.Site == "" {
			d.Errorf(in.Pos, el, "", "<InjectionStim> needs injectionSite")
		}
		bad := func(name string, v float64, cond bool, what string) {
			if cond || math.IsNaN(v) || math.IsInf(v, 0) {
				d.Errorf(in.at(name), el+"/<"+name+">", fmt.Sprint(v), "%s %g %s", name, v, what)
			}
		}
		if len(in.Rates) > 0 {
			if in.HasOnset || in.HasDuration || in.HasRate || in.HasPeriod || in.HasEnd {
				d.Errorf(in.Pos, el, "", "give either a <rates> table or onset/duration/rate, not both")
			}
			for k, row := range in.Rates {
				if k > 0 && row.TimeMs < in.Rates[k-1].TimeMs {
					d.Errorf(in.at("rates"), el+"/<rates>", fmt.Sprint(row.TimeMs), "row %d: time %g ms is before the previous row's %g ms", k+1, row.TimeMs, in.Rates[k-1].TimeMs)
				}
				if row.RatePerMs < 0 || math.IsNaN(row.RatePerMs) || math.IsInf(row.RatePerMs, 0) {
					d.Errorf(in.at("rates"), el+"/<rates>", fmt.Sprint(row.RatePerMs), "row %d: rate %g molecules/ms must be non-negative", k+1, row.RatePerMs)
				}
			}
			continue
		}
		if !in.HasOnset {
			d.Errorf(in.Pos, el, "", "missing <onset> (ms)")
		}
		if !in.HasRate {
			d.Errorf(in.Pos, el, "", "missing <rate> (molecules/ms)")
		} else {
			bad("rate", in.RatePerMs, in.RatePerMs < 0, "molecules/ms must be non-negative")
		}
		if !in.HasDuration && !in.HasEnd {
			d.Errorf(in.Pos, el, "", "missing <duration> (and no <end>)")
		}
		if in.HasDuration {
			bad("duration", in.DurationMs, in.DurationMs < 0, "ms must be non-negative")
		}
		if in.HasPeriod {
			bad("period", in.PeriodMs, !(in.PeriodMs > 0), "ms must be positive")
		}
		if in.HasOnset {
			bad("onset", in.OnsetMs, false, "ms must be finite")
		}
		if in.NumTrains < 0 {
			d.Errorf(in.at("numTrains"), el+"/<numTrains>", fmt.Sprint(in.NumTrains), "numTrains %d must be ≥ 0", in.NumTrains)
		}
	}
}

func validateOutputs(m *Model, ix speciesIndex, d *diag.List) {
	names := map[string]diag.Pos{}
	for _, o := range m.OutputSets {
		el := fmt.Sprintf("<OutputSet filename=%q>", o.Filename)
		if o.Filename == "" {
			d.Errorf(o.Pos, "<OutputSet>", "", "<OutputSet> needs a filename")
		} else if p, dup := names[o.Filename]; dup {
			d.Errorf(o.Pos, el, o.Filename, "a second output set named %q (first at %s)", o.Filename, p)
		}
		names[o.Filename] = o.Pos
		if o.IntervalMs < 0 || math.IsNaN(o.IntervalMs) {
			d.Errorf(o.Pos, el, fmt.Sprint(o.IntervalMs), "output interval %g ms must be positive", o.IntervalMs)
		}
		for _, s := range o.Species {
			if _, ok := ix.id(s); !ok {
				msg := ix.unknown(s, m.Species)
				if s == "all" {
					msg += " (NeuroRD has no \"all\" keyword: list no <OutputSpecie> to output all species)"
				}
				d.Errorf(o.Pos, el+fmt.Sprintf("/<OutputSpecie name=%q>", s), s, "%s", msg)
			}
		}
	}
	for _, s := range m.OutputSpecies {
		if _, ok := ix.id(s); !ok {
			d.Errorf(m.Settings.At("outputSpecies"), "<outputSpecies>", s, "%s", ix.unknown(s, m.Species))
		}
	}
}
