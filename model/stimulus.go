package model

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/spinerd/spinerd/diag"
	"github.com/spinerd/spinerd/mesh"
)

// maxPulses bounds the expansion of one stimulus.
const maxPulses = 2_000_000

// stimuli expands every <InjectionStim> (§6.1) and resolves its targets
// (§6.2).
func (s *System) stimuli(m *Model, ix speciesIndex, d *diag.List) {
	for i := range m.Stimuli {
		in := &m.Stimuli[i]
		el := injectionName(in, i)
		sp, ok := ix.id(in.Species)
		if !ok {
			sp = -1
		}
		st := Stimulus{Index: i, Species: sp, Site: in.Site, Distribution: in.Distribution}
		if in.Site != "" {
			targets, shares, err := resolveSite(s.Mesh, in.Site)
			if err != nil {
				d.Errorf(in.Pos, el, in.Site, "injectionSite %q: %v", in.Site, err)
			} else {
				st.Targets, st.Shares = targets, shares
			}
		}
		pulses, n := expand(in, s.EndMs, el, d)
		st.Pulses, st.NumPulses = pulses, n
		s.Stimuli = append(s.Stimuli, st)
	}
}

// train is the pulses of one train: they may overlap (duration ≥ period),
// in which case the stimulus is simply on, not doubled.
type train []Pulse

// expand turns an injection into its pulses before endMs. It returns the
// merged, non-overlapping pulses and the number of elementary pulses.
func expand(in *Injection, endMs float64, el string, d *diag.List) ([]Pulse, int) {
	var trains []train
	count := 0
	if len(in.Rates) > 0 {
		var tr train
		for k, row := range in.Rates {
			stop := math.Inf(1)
			if k+1 < len(in.Rates) {
				stop = in.Rates[k+1].TimeMs
			}
			if row.RatePerMs == 0 || row.TimeMs >= endMs || stop <= row.TimeMs {
				continue
			}
			count++
			tr = append(tr, Pulse{StartMs: row.TimeMs, EndMs: stop, RatePerMs: row.RatePerMs})
		}
		trains = append(trains, tr)
		return merge(trains), count
	}
	if !in.HasOnset || !in.HasRate || math.IsNaN(in.OnsetMs) || math.IsInf(in.OnsetMs, 0) {
		return nil, 0
	}
	dur := in.DurationMs
	if !in.HasDuration {
		if in.HasPeriod {
			d.Errorf(in.Pos, el, "", "a periodic stimulus needs <duration>")
			return nil, 0
		}
		dur = in.EndMs - in.OnsetMs
	}
	if !(dur >= 0) {
		return nil, 0
	}
	ntr := in.NumTrains
	if !in.HasPeriod {
		if ntr > 1 {
			d.Warnf(in.Pos, el, "", "%d trains of single pulses: spinerd delivers every train; NeuroRD 3.3's adaptive and exact methods deliver only the first (its pitfall P12)", ntr)
		}
		step := dur + in.InterTrainMs
		for t := 0; t < ntr; t++ {
			on := in.OnsetMs + float64(t)*step
			if on >= endMs {
				break
			}
			count++
			trains = append(trains, train{{StartMs: on, EndMs: on + dur, RatePerMs: in.RatePerMs}})
		}
		return merge(trains), count
	}
	end := math.Inf(1)
	if in.HasEnd {
		end = in.EndMs
	}
	step := end - in.OnsetMs + in.InterTrainMs
	if ntr > 1 && !(step > 0) {
		d.Errorf(in.at("interTrainInterval"), el+"/<interTrainInterval>", fmt.Sprint(in.InterTrainMs), "with %d trains, trains would start every %g ms: end − onset + interTrainInterval must be positive", ntr, step)
		return nil, 0
	}
	cut := false
	for t := 0; t < ntr; t++ {
		on := in.OnsetMs + float64(t)*step
		stop := end + float64(t)*step
		if on >= endMs {
			break
		}
		var tr train
		for j := 0; ; j++ {
			start := on + float64(j)*in.PeriodMs
			if start >= stop || start >= endMs {
				break
			}
			pe := start + dur
			if pe > stop {
				pe = stop
				cut = true
			}
			count++
			if count > maxPulses {
				d.Errorf(in.Pos, el, "", "more than %d pulses before the end of the run: check <period> and <end>", maxPulses)
				return nil, 0
			}
			tr = append(tr, Pulse{StartMs: start, EndMs: pe, RatePerMs: in.RatePerMs})
		}
		trains = append(trains, tr)
	}
	if cut {
		d.Warnf(in.at("end"), el+"/<end>", fmt.Sprint(in.EndMs), "end %g ms falls inside a pulse: spinerd stops injecting at end; NeuroRD 3.3's adaptive method instead injects the rate × the rest of the run at once (its pitfall P13)", in.EndMs)
	}
	return merge(trains), count
}

// merge takes the union of each train's pulses, then sums the trains'
// rates over time, returning sorted non-overlapping pulses of positive rate.
func merge(trains []train) []Pulse {
	type edge struct {
		t    float64
		rate float64
	}
	var edges []edge
	for _, tr := range trains {
		sort.Slice(tr, func(i, j int) bool { return tr[i].StartMs < tr[j].StartMs })
		var cur *Pulse
		var union []Pulse
		for _, p := range tr {
			if !(p.EndMs > p.StartMs) || !(p.RatePerMs > 0) {
				continue
			}
			if cur != nil && p.StartMs <= cur.EndMs && p.RatePerMs == cur.RatePerMs {
				cur.EndMs = math.Max(cur.EndMs, p.EndMs)
				continue
			}
			union = append(union, p)
			cur = &union[len(union)-1]
		}
		for _, p := range union {
			edges = append(edges, edge{p.StartMs, p.RatePerMs}, edge{p.EndMs, -p.RatePerMs})
		}
	}
	sort.SliceStable(edges, func(i, j int) bool { return edges[i].t < edges[j].t })
	var out []Pulse
	open := false
	rate, scale := 0.0, 0.0
	for _, e := range edges {
		scale = math.Max(scale, math.Abs(e.rate))
	}
	for i := 0; i < len(edges); {
		t := edges[i].t
		for ; i < len(edges) && edges[i].t == t; i++ {
			rate += edges[i].rate
		}
		if math.Abs(rate) <= 1e-12*scale {
			rate = 0
		}
		if open && out[len(out)-1].RatePerMs != rate {
			out[len(out)-1].EndMs = t
			open = false
		}
		if rate > 0 && !open {
			out = append(out, Pulse{StartMs: t, EndMs: math.Inf(1), RatePerMs: rate})
			open = true
		}
	}
	return out
}

// resolveSite finds the target voxels of an injection site (§6.2) and
// their shares of the rate: exposed-area weighted for ":submembrane"
// sites, equal otherwise.
func resolveSite(m *mesh.Mesh, site string) ([]int, []float64, error) {
	name, sub := strings.CutSuffix(site, ":submembrane")
	var targets []int
	if open := strings.IndexByte(name, '['); open >= 0 {
		if sub {
			return nil, nil, fmt.Errorf(":submembrane cannot be combined with a spine selector")
		}
		closeAt := strings.IndexByte(name[open:], ']')
		if closeAt < 0 {
			return nil, nil, fmt.Errorf("missing ']' in spine selector")
		}
		prefix, sel, suffix := name[:open], name[open+1:open+closeAt], name[open+closeAt+1:]
		pick, err := parseSelector(sel)
		if err != nil {
			return nil, nil, err
		}
		for v := range m.Voxels {
			lab := m.Voxels[v].Label
			if !strings.HasPrefix(lab, prefix+"[") || !strings.HasSuffix(lab, "]"+suffix) {
				continue
			}
			inner := lab[len(prefix)+1 : len(lab)-len(suffix)-1]
			idx, err := strconv.Atoi(inner)
			if err == nil && pick(idx) {
				targets = append(targets, v)
			}
		}
		if len(targets) == 0 {
			return nil, nil, fmt.Errorf("no spine voxel is labelled %s", site)
		}
	} else {
		for v := range m.Voxels {
			if m.Voxels[v].Label == name && (!sub || m.Voxels[v].Submembrane()) {
				targets = append(targets, v)
			}
		}
		if len(targets) == 0 {
			for v := range m.Voxels {
				if m.Voxels[v].Region == name && (!sub || m.Voxels[v].Submembrane()) {
					targets = append(targets, v)
				}
			}
		}
		if len(targets) == 0 {
			what := "no voxel has this label or region"
			if sub {
				what = "no submembrane voxel has this label or region"
			}
			return nil, nil, fmt.Errorf("%s (regions: %s)", what, strings.Join(m.Regions, ", "))
		}
	}
	shares := make([]float64, len(targets))
	total := 0.0
	for _, v := range targets {
		total += m.Voxels[v].ExposedAreaUm2
	}
	for i, v := range targets {
		if sub && total > 0 {
			shares[i] = m.Voxels[v].ExposedAreaUm2 / total
		} else {
			shares[i] = 1 / float64(len(targets))
		}
	}
	return targets, shares, nil
}

// parseSelector reads a spine index selector: "", "*", ":", "a:b" (either
// end may be empty), "i" or "i,j,k".
func parseSelector(sel string) (func(int) bool, error) {
	sel = strings.TrimSpace(sel)
	if sel == "" || sel == "*" {
		return func(int) bool { return true }, nil
	}
	if a, b, ok := strings.Cut(sel, ":"); ok {
		lo, hi := 0, math.MaxInt
		var err error
		if strings.TrimSpace(a) != "" {
			if lo, err = strconv.Atoi(strings.TrimSpace(a)); err != nil {
				return nil, fmt.Errorf("bad spine range %q", sel)
			}
		}
		if strings.TrimSpace(b) != "" {
			if hi, err = strconv.Atoi(strings.TrimSpace(b)); err != nil {
				return nil, fmt.Errorf("bad spine range %q", sel)
			}
		}
		return func(i int) bool { return i >= lo && i <= hi }, nil
	}
	set := map[int]bool{}
	for _, f := range strings.Split(sel, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("bad spine index %q in selector %q", f, sel)
		}
		set[i] = true
	}
	return func(i int) bool { return set[i] }, nil
}
