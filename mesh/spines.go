package mesh

import (
	"fmt"
	"math"
	"sort"
)

// spineProfile is the discretised spine prototype shared by all spines of
// one type (§4.6 step 5–8).
type spineProfile struct {
	nel    int
	h      float64   // axial voxel length (µm)
	x      []float64 // voxel boundaries from the dendrite surface, nel+1 (µm)
	rho    []float64 // radii at the boundaries, nel+1 (µm)
	region []string  // per voxel
	label  []string  // per voxel, section label or ""
}

func spineName(st *SpineType) string { return fmt.Sprintf("<SpineType id=%q>", st.ID) }

func (b *builder) profile(st *SpineType, dx float64) (*spineProfile, bool) {
	secs := st.Sections
	if len(secs) == 0 {
		b.diags.Errorf(st.Pos, spineName(st), "", "spine type has no <Section>")
		return nil, false
	}
	ok := true
	for i, s := range secs {
		if i > 0 && s.AtUm < secs[i-1].AtUm {
			b.diags.Errorf(s.Pos, spineName(st)+"/<Section>", fmt.Sprint(s.AtUm), "at=%g µm is smaller than the previous section's %g µm: sections must go outwards", s.AtUm, secs[i-1].AtUm)
			ok = false
		}
		if !(s.WidthUm >= 0) || math.IsInf(s.WidthUm, 0) {
			b.diags.Errorf(s.Pos, spineName(st)+"/<Section>", fmt.Sprint(s.WidthUm), "width=%g µm must be a non-negative diameter", s.WidthUm)
			ok = false
		}
	}
	L := secs[len(secs)-1].AtUm
	if !(L > 0) {
		b.diags.Errorf(st.Pos, spineName(st), fmt.Sprint(L), "spine length (the last section's at) %g µm must be positive", L)
		ok = false
	}
	if !ok {
		return nil, false
	}
	nel := int(math.Floor(L/dx + 0.5))
	if nel < 1 {
		nel = 1
	}
	pr := &spineProfile{nel: nel, h: L / float64(nel)}
	widthAt := func(x float64) float64 {
		if x <= secs[0].AtUm {
			return secs[0].WidthUm
		}
		for j := 0; j+1 < len(secs); j++ {
			a, c := secs[j], secs[j+1]
			if x <= c.AtUm {
				if c.AtUm == a.AtUm {
					return c.WidthUm
				}
				return a.WidthUm + (c.WidthUm-a.WidthUm)*(x-a.AtUm)/(c.AtUm-a.AtUm)
			}
		}
		return secs[len(secs)-1].WidthUm
	}
	for k := 0; k <= nel; k++ {
		x := float64(k) * L / float64(nel)
		pr.x = append(pr.x, x)
		pr.rho = append(pr.rho, widthAt(x)/2)
	}
	for k := 0; k < nel; k++ {
		x := pr.x[k]
		// the two sections bracketing x; the nearer one wins, the more
		// distal on a tie.
		j := 0
		for j+1 < len(secs)-1 && secs[j+1].AtUm <= x {
			j++
		}
		s := secs[j]
		if j+1 < len(secs) && secs[j+1].AtUm-x <= x-secs[j].AtUm {
			s = secs[j+1]
		}
		r := s.RegionClass
		if r == "" {
			r = DefaultRegion
		}
		pr.region = append(pr.region, r)
	}
	pr.label = make([]string, nel)
	for _, s := range secs {
		if s.Label == "" {
			continue
		}
		best, bestD := 0, math.Inf(1)
		for k := 0; k < nel; k++ {
			if d := math.Abs(pr.x[k] - s.AtUm); d <= bestD {
				best, bestD = k, d
			}
		}
		if pr.label[best] == "" {
			pr.label[best] = s.Label
		}
	}
	return pr, true
}

// placeSpines is §4.6: spines are drawn on the submembrane voxels of each
// allocation's region with probability proportional to exposed area, using
// MT19937 seeded with spineSeed as NeuroRD does.
func (b *builder) placeSpines() {
	allocs := b.morph.SpineAllocations
	if len(allocs) == 0 {
		return
	}
	rng := newMT19937(uint32(b.set.SpineSeed))
	dx := b.set.SpineDeltaXUm
	if !(dx > 0) {
		dx = b.set.DefaultMaxElementSideUm
	}
	types := map[string]*SpineType{}
	for i := range b.morph.SpineTypes {
		types[b.morph.SpineTypes[i].ID] = &b.morph.SpineTypes[i]
	}
	nDend := len(b.mesh.Voxels)
	profiles := map[string]*spineProfile{}
	for ai := range allocs {
		a := &allocs[ai]
		name := fmt.Sprintf("<SpineAllocation id=%q>", a.ID)
		st := types[a.SpineType]
		if st == nil {
			b.diags.Warnf(a.Pos, name, a.SpineType, "spineType %q is not defined: allocation ignored (as NeuroRD does)", a.SpineType)
			continue
		}
		density := a.AreaDensityPerUm2
		if !(density > 0) {
			if !(a.LengthDensityPerUm > 0) {
				b.diags.Warnf(a.Pos, name, "", "neither areaDensity nor lengthDensity is positive: allocation ignored (as NeuroRD does)")
				continue
			}
			density = a.LengthDensityPerUm / b.set.depth() / 2
		}
		if !(dx > 0) || math.IsInf(dx, 0) {
			b.diags.Errorf(b.set.Pos, "<discretization>", "", "spines need <spineDeltaX> (or <defaultMaxElementSide>) to set their axial voxel length")
			return
		}
		pr, ok := profiles[st.ID]
		if !ok {
			pr, ok = b.profile(st, dx)
			if !ok {
				return
			}
			profiles[st.ID] = pr
		}
		var cands []int
		var cum []float64
		total := 0.0
		for v := 0; v < nDend; v++ {
			vx := &b.mesh.Voxels[v]
			if vx.ExposedAreaUm2 > 0 && vx.Region == a.Region {
				total += vx.ExposedAreaUm2
				cands = append(cands, v)
				cum = append(cum, total)
			}
		}
		if len(cands) == 0 {
			b.diags.Errorf(a.Pos, name, a.Region, "region %q has no submembrane voxels to carry spines", a.Region)
			continue
		}
		m := total * density
		if m > float64(len(cands)) {
			m = float64(len(cands))
		}
		var chosen []int
		for float64(len(chosen)) < m {
			u := rng.float() * total
			k := 0
			if u > cum[0] {
				k = sort.Search(len(cum), func(i int) bool { return cum[i] > u })
				if k == len(cum) {
					k = len(cum) - 1
				}
			}
			chosen = append(chosen, cands[k])
		}
		sort.Ints(chosen)
		for idx, parent := range chosen {
			b.addSpine(a, idx, parent, pr)
		}
	}
}

func (b *builder) addSpine(a *SpineAllocation, idx, parent int, pr *spineProfile) {
	aux := b.aux[parent]
	n := aux.normal
	base := aux.face
	across := n.cross(Vec3{0, 0, 1})
	if across.norm() < 1e-12 {
		across = aux.axis
	}
	across = across.unit()
	group := fmt.Sprintf("%s[%d]", a.ID, idx)
	sp := Spine{Group: group, ParentVoxel: parent, FirstVoxel: len(b.mesh.Voxels), NumVoxels: pr.nel, AllocationID: a.ID}
	prev := parent
	for k := 0; k < pr.nel; k++ {
		r0, r1 := pr.rho[k], pr.rho[k+1]
		x0, x1 := pr.x[k], pr.x[k+1]
		at := func(x, r float64) Vec3 { return base.add(n.scale(x)).add(across.scale(r)) }
		v := Voxel{
			VolumeUm3: math.Pi * pr.h * (r0*r0 + r1*r1 + r0*r1) / 3,
			DeltaZUm:  (r0 + r1) / 2,
			Centre:    base.add(n.scale((x0 + x1) / 2)),
			Corners:   [4]Vec3{at(x1, -r1), at(x0, -r0), at(x0, r0), at(x1, r1)},
			Region:    pr.region[k],
			Group:     group,
		}
		if pr.label[k] != "" {
			v.Label = group + "." + pr.label[k]
		}
		vi := b.addVoxel(v, voxelAux{normal: n, axis: n})
		b.couple(prev, vi, math.Pi*r0*r0, b.mesh.Voxels[prev].Centre.dist(v.Centre))
		prev = vi
	}
	b.mesh.Spines = append(b.mesh.Spines, sp)
}
