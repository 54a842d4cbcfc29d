// Package fromsys describes a compiled spinerd model (model.System) in
// the plain terms of package nrdh5, as NeuroRD 3.3 would write it to its
// HDF5 output: the grid with NeuroRD's conventions (z3 includes deltaZ,
// unlabelled voxels are "element<i>"), the one-way reaction channels,
// the elementary stimulations (one per train, or per non-zero row of a
// <rates> table, of each <InjectionStim>), and, for the exact and
// adaptive methods, NeuroRD's event channels in its order (diffusion,
// then reactions by channel and voxel, then stimulations by stimulation
// and target) with its descriptions, and one statistics row per
// elementary stimulation (../shared/docs/neurord-format.md §7.2.1, §8.6).
package fromsys

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spinerd/spinerd/internal/version"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/nrdh5"
)

// Describe returns the NeuroRD HDF5 description of sys.
func Describe(sys *model.System) (*nrdh5.Description, error) {
	if sys == nil || sys.Mesh == nil || sys.Model == nil {
		return nil, fmt.Errorf("describing a model for HDF5: no compiled model")
	}
	d := &nrdh5.Description{
		Regions:          append([]string(nil), sys.Mesh.Regions...),
		SerializedConfig: sys.Model.Text,
		Manifest: []nrdh5.KeyValue{
			{Key: "Manifest-Version", Value: "1.0"},
			{Key: "Created-By", Value: "spinerd " + version.String()},
		},
	}
	// spinerd's provenance of the run, for readers that look (spinerd's
	// own reader fills the trajectory header's method from it).
	pv := sys.Provenance()
	d.Manifest = append(d.Manifest, nrdh5.KeyValue{Key: "Spinerd-Method", Value: pv.Method})
	if pv.Tolerance > 0 {
		d.Manifest = append(d.Manifest, nrdh5.KeyValue{Key: "Spinerd-Tolerance", Value: strconv.FormatFloat(pv.Tolerance, 'g', -1, 64)})
	}
	if pv.FixedStepMs > 0 {
		d.Manifest = append(d.Manifest, nrdh5.KeyValue{Key: "Spinerd-Fixed-Step-Ms", Value: strconv.FormatFloat(pv.FixedStepMs, 'g', -1, 64)})
	}
	if sys.InitialState != "" {
		d.Manifest = append(d.Manifest, nrdh5.KeyValue{Key: "Spinerd-Initial-State", Value: sys.InitialState})
	}
	if sys.Method == model.MethodODE {
		d.Values = nrdh5.Reals
	}
	for _, s := range sys.Species {
		d.Species = append(d.Species, s.ID)
	}
	region := map[string]int{}
	for i, r := range d.Regions {
		if _, ok := region[r]; !ok {
			region[r] = i
		}
	}
	for i := range sys.Mesh.Voxels {
		v := &sys.Mesh.Voxels[i]
		g := nrdh5.Voxel{VolumeUm3: v.VolumeUm3, DeltaZUm: v.DeltaZUm, Label: v.Label, RegionName: v.Region,
			Type: v.Type(), Group: v.Group}
		for k, c := range v.Corners {
			g.Corners[k] = [3]float64{c[0], c[1], c[2]}
		}
		g.Corners[3][2] += v.DeltaZUm // NeuroRD stores z3 + deltaZ
		if g.Label == "" {
			g.Label = "element" + strconv.Itoa(i)
		}
		r, ok := region[v.Region]
		if !ok {
			return nil, fmt.Errorf("voxel %d: region %q is not in the mesh's regions %v", i, v.Region, d.Regions)
		}
		g.Region = int32(r)
		d.Grid = append(d.Grid, g)
		var nb []int
		var cp []float64
		for _, n := range v.Neighbours {
			nb = append(nb, n.Voxel)
			cp = append(cp, n.CouplingUm)
		}
		d.Neighbors = append(d.Neighbors, nb)
		d.Couplings = append(d.Couplings, cp)
	}
	for _, c := range sys.Channels {
		r := nrdh5.Reaction{Rate: c.RateConst, Reverse: c.Partner}
		for _, x := range c.Reactants {
			r.Reactants = append(r.Reactants, x.Species)
			r.ReactantStoichiometry = append(r.ReactantStoichiometry, x.N)
		}
		for _, x := range c.Products {
			r.Products = append(r.Products, x.Species)
			r.ProductStoichiometry = append(r.ProductStoichiometry, x.N)
		}
		d.Reactions = append(d.Reactions, r)
	}
	type elementary struct {
		species int
		targets []int
	}
	var stims []elementary
	if len(sys.Stimuli) != len(sys.Model.Stimuli) {
		return nil, fmt.Errorf("%d compiled stimuli for %d <InjectionStim>", len(sys.Stimuli), len(sys.Model.Stimuli))
	}
	for i := range sys.Stimuli {
		st := &sys.Stimuli[i]
		for k := 0; k < elementaryCount(&sys.Model.Stimuli[i]); k++ {
			d.Stimulations = append(d.Stimulations, nrdh5.Stimulation{Target: st.Site, Voxels: append([]int(nil), st.Targets...)})
			stims = append(stims, elementary{st.Species, st.Targets})
		}
	}
	for i, o := range append([]model.Output{sys.Main}, sys.OutputSets...) {
		name := o.Name
		if i == 0 {
			name = "__main__"
		}
		d.Outputs = append(d.Outputs, nrdh5.OutputSet{Name: name, Species: append([]int(nil), o.Species...), Elements: append([]int(nil), o.Voxels...)})
	}
	if c := sys.Method.Calculation(); c != "GRID_EXACT" && c != "GRID_ADAPTIVE" {
		return d, nil // NeuroRD lists events only for its event-queue methods
	}
	d.Events = []nrdh5.Event{}
	for _, h := range sys.Hops {
		d.Events = append(d.Events, nrdh5.Event{
			Description: fmt.Sprintf("Diffusion %s el.%d→%d", d.Species[h.Species], h.From, h.To),
			Type:        nrdh5.EventDiffusion, Source: h.From, Target: h.To,
			Substrates: []int{h.Species, h.Species}, Stoichiometry: []int{-1, 1}})
	}
	for ci := range sys.Channels {
		c := &sys.Channels[ci]
		sig := signature(c, d.Species)
		// NeuroRD lists the net changes: a species on both sides with
		// the same stoichiometry (a catalyst) is not a substrate.
		var subs, sto []int
		for _, x := range c.Changes {
			subs, sto = append(subs, x.Species), append(sto, x.Delta)
		}
		for v := range sys.Mesh.Voxels {
			d.Events = append(d.Events, nrdh5.Event{
				Description: fmt.Sprintf("Reaction el.%d %s", v, sig),
				Type:        nrdh5.EventReaction, Source: v, Target: v, Substrates: subs, Stoichiometry: sto})
		}
	}
	for _, st := range stims {
		for _, v := range st.targets {
			d.Events = append(d.Events, nrdh5.Event{
				Description: fmt.Sprintf("Stimulation el.%d %s", v, d.Species[st.species]),
				Type:        nrdh5.EventStimulation, Source: v, Target: v, Substrates: []int{st.species}, Stoichiometry: []int{1}})
		}
		d.Statistics = append(d.Statistics, "Stimulation of species "+d.Species[st.species])
	}
	return d, nil
}

// elementaryCount is the number of NeuroRD elementary stimulations of an
// injection (§6.1): one per non-zero row of a <rates> table, else one
// per train.
func elementaryCount(in *model.Injection) int {
	if len(in.Rates) > 0 {
		n := 0
		for _, r := range in.Rates {
			if r.RatePerMs != 0 {
				n++
			}
		}
		return n
	}
	return max(in.NumTrains, 0)
}

// signature is NeuroRD's reaction signature: "A+2×B→C", "nil" for an
// empty side.
func signature(c *model.Channel, ids []string) string {
	side := func(n int, term func(int) (int, int)) string {
		if n == 0 {
			return "nil"
		}
		var b strings.Builder
		for i := 0; i < n; i++ {
			sp, k := term(i)
			if i > 0 {
				b.WriteByte('+')
			}
			if k > 1 {
				b.WriteString(strconv.Itoa(k) + "×")
			}
			b.WriteString(ids[sp])
		}
		return b.String()
	}
	return side(len(c.Reactants), func(i int) (int, int) { return c.Reactants[i].Species, c.Reactants[i].N }) + "→" +
		side(len(c.Products), func(i int) (int, int) { return c.Products[i].Species, c.Products[i].N })
}
