package mesh

import (
	"fmt"
	"math"
	"sort"

	"github.com/spinerd/spinerd/diag"
)

// line is the set of voxels cut from one slice: a row of boxes across the
// slice in 2D, a square grid of cubes in 3D.
type line struct {
	first, count int
	delta        float64 // regular element size Δ of this slice (µm)
	sl           float64 // slice length (µm)
	mid          Vec3
	// 2D
	widths []float64 // box widths, box 0 first (µm)
	offs   []float64 // box centre offsets along local x (µm)
	width  float64   // line width W (µm)
	// 3D
	cells [][2]int // (i−nr, j−nr) of each cube
}

// attach says which line the next lines from a point couple to.
type attach struct {
	line  *line
	prev  *tpoint // point before this one (branch ordering)
	sub   bool    // sub-branch: align to the parent line's top edge
	shift float64 // transverse shift of a sub-branch (µm)
}

// traverse is §4.4.4: depth-first from the first point with exactly one
// neighbour, numbering lines in the order they are created.
func (b *builder) traverse() {
	visited := map[*tpoint]bool{}
	subShift := map[*tpoint]float64{}
	var visit func(p *tpoint, at attach)
	visit = func(p *tpoint, at attach) {
		if b.full {
			return
		}
		var kids []*tlink
		for _, l := range p.links {
			if !visited[l.other(p)] {
				kids = append(kids, l)
			}
		}
		if len(p.links) >= 3 && at.prev != nil {
			in := p.pos.sub(at.prev.pos)
			angle := func(l *tlink) float64 {
				d := l.other(p).pos.sub(p.pos)
				return math.Atan2(in[0]*d[1]-in[1]*d[0], in[0]*d[0]+in[1]*d[1])
			}
			sort.SliceStable(kids, func(i, j int) bool {
				if kids[i].joint != kids[j].joint {
					return !kids[i].joint
				}
				return angle(kids[i]) < angle(kids[j])
			})
		} else {
			sort.SliceStable(kids, func(i, j int) bool { return !kids[i].joint && kids[j].joint })
		}
		var firstFrom *line
		for _, l := range kids {
			c := l.other(p)
			if visited[c] {
				continue
			}
			visited[c] = true
			if l.joint {
				parent := at.line
				if parent == nil {
					parent = firstFrom
				}
				shift := subShift[p]
				subShift[p] += 2 * c.r
				visit(c, attach{line: parent, prev: at.prev, sub: true, shift: shift})
				continue
			}
			ln := b.makeLine(p, c, l)
			if firstFrom == nil {
				firstFrom = ln
			}
			if at.line != nil {
				b.coupleLines(at.line, ln, at.sub, at.shift)
			}
			visit(c, attach{line: ln, prev: p})
		}
	}
	for {
		var start *tpoint
		for _, p := range b.tree.points {
			if !visited[p] && len(p.links) == 1 {
				start = p
				break
			}
		}
		if start == nil {
			break
		}
		visited[start] = true
		visit(start, attach{})
	}
	for _, p := range b.tree.points {
		if !visited[p] {
			b.diags.Errorf(diag.Pos{}, "<Morphology>", "", "the segments form a closed loop at (%g, %g, %g); NeuroRD morphologies must be trees", p.pos[0], p.pos[1], p.pos[2])
			return
		}
	}
}

func regionOf(l *tlink) string {
	if l.region == "" {
		return DefaultRegion
	}
	return l.region
}

// makeLine creates the voxels of the slice p→c.
func (b *builder) makeLine(p, c *tpoint, l *tlink) *line {
	ln := &line{
		first: len(b.mesh.Voxels),
		delta: b.localSize(l),
		sl:    p.pos.dist(c.pos),
		mid:   p.pos.add(c.pos).scale(0.5),
	}
	label := ""
	switch {
	case p.label != "" && !p.labelUsed:
		label, p.labelUsed = p.label, true
	case c.label != "" && !c.labelUsed && len(c.links) == 1:
		label, c.labelUsed = c.label, true
	}
	if b.set.Geometry == Geometry3D {
		b.makeCubes(ln, p, c, l, label)
	} else {
		b.makeBoxes(ln, p, c, l, label)
	}
	return ln
}

// frame2D returns the rotation of the local frame (local +y along the
// xy-projection of the slice axis).
func frame2D(p, c *tpoint) (cos, sin float64) {
	u := c.pos.sub(p.pos)
	theta := math.Atan2(-u[0], u[1])
	return math.Cos(theta), math.Sin(theta)
}

// makeBoxes is §4.4.1–4.4.2: a line of boxes across a 2D slice.
func (b *builder) makeBoxes(ln *line, p, c *tpoint, l *tlink, label string) {
	depth := b.set.depth()
	r := (p.r+c.r)/2 - 1e-7
	nsl, dsl := 0, 0.0
	for _, s := range b.set.SurfaceLayersUm {
		if dsl+s < r {
			nsl++
			dsl += s
		} else {
			break
		}
	}
	nf := 1 + 2*math.Floor((r-dsl)/ln.delta)
	if nf > float64(MaxVoxels-len(b.mesh.Voxels)) {
		b.overflow()
		return
	}
	nreg := int(nf)
	if nreg < 1 {
		nreg = 1
	}
	layers := b.set.SurfaceLayersUm[:nsl]
	for _, s := range layers {
		ln.widths = append(ln.widths, s)
	}
	for i := 0; i < nreg; i++ {
		ln.widths = append(ln.widths, ln.delta)
	}
	for i := nsl - 1; i >= 0; i-- {
		ln.widths = append(ln.widths, layers[i])
	}
	ln.count = len(ln.widths)
	for _, w := range ln.widths {
		ln.width += w
	}
	x := -ln.width / 2
	for _, w := range ln.widths {
		ln.offs = append(ln.offs, x+w/2)
		x += w
	}
	cos, sin := frame2D(p, c)
	rot := func(lx, ly float64) Vec3 {
		return Vec3{ln.mid[0] + (lx*cos - ly*sin), ln.mid[1] + (lx*sin + ly*cos), ln.mid[2]}
	}
	dir := func(lx float64) Vec3 { return Vec3{lx * cos, lx * sin, 0} }
	axis := c.pos.sub(p.pos).unit()
	region := regionOf(l)
	half := ln.sl / 2
	for i, w := range ln.widths {
		o := ln.offs[i]
		v := Voxel{
			VolumeUm3: w * ln.sl * depth,
			DeltaZUm:  depth,
			Centre:    rot(o, 0),
			Corners:   [4]Vec3{rot(o-w/2, -half), rot(o-w/2, half), rot(o+w/2, half), rot(o+w/2, -half)},
			Region:    region,
		}
		var aux voxelAux
		aux.axis = axis
		if i == 0 || i == ln.count-1 {
			v.ExposedAreaUm2 = ln.sl * depth
			side := 1.0
			if i == 0 {
				side = -1
			}
			aux.normal = dir(side)
			aux.face = v.Centre.add(aux.normal.scale(w / 2))
		}
		if label != "" && i == ln.count/2 {
			v.Label = label
		}
		b.addVoxel(v, aux)
	}
	for i := 0; i+1 < ln.count; i++ {
		b.couple(ln.first+i, ln.first+i+1, ln.sl*depth, (ln.widths[i]+ln.widths[i+1])/2)
	}
}

// frame3D returns the unit axis of the slice and two transverse unit
// vectors; e1 matches the 2D local x axis.
func frame3D(p, c *tpoint) (u, e1, e2 Vec3) {
	u = c.pos.sub(p.pos).unit()
	e1 = Vec3{u[1], -u[0], 0}
	if e1.norm() < 1e-12 {
		e1 = Vec3{1, 0, 0}
	}
	e1 = e1.unit()
	e2 = e1.cross(u).unit()
	return u, e1, e2
}

// makeCubes is §4.5: a grid of cubes of edge Δ inside the slice radius.
func (b *builder) makeCubes(ln *line, p, c *tpoint, l *tlink, label string) {
	r := (p.r + c.r) / 2
	d := ln.delta
	nf := 2*math.Floor(r/d) + 1
	if nf*nf > float64(MaxVoxels-len(b.mesh.Voxels)) {
		b.overflow()
		return
	}
	nr := int(math.Floor(r / d))
	n := 2*nr + 1
	exists := func(i, j int) bool {
		if i < 0 || j < 0 || i >= n || j >= n {
			return false
		}
		di, dj := float64(i-nr), float64(j-nr)
		return (di*di+dj*dj)*d*d < r*r
	}
	u, e1, e2 := frame3D(p, c)
	region := regionOf(l)
	half := ln.sl / 2
	index := map[[2]int]int{}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if !exists(i, j) {
				continue
			}
			ci, cj := i-nr, j-nr
			centre := ln.mid.add(e1.scale(float64(ci) * d)).add(e2.scale(float64(cj) * d))
			corner := func(s1, s2 float64) Vec3 {
				return centre.add(e1.scale(s1 * d / 2)).add(u.scale(s2 * half))
			}
			v := Voxel{
				VolumeUm3: d * d * ln.sl,
				DeltaZUm:  d,
				Centre:    centre,
				Corners:   [4]Vec3{corner(-1, -1), corner(-1, 1), corner(1, 1), corner(1, -1)},
				Region:    region,
			}
			aux := voxelAux{axis: u}
			for _, f := range []struct {
				di, dj int
				n      Vec3
			}{{-1, 0, e1.scale(-1)}, {1, 0, e1}, {0, -1, e2.scale(-1)}, {0, 1, e2}} {
				if !exists(i+f.di, j+f.dj) {
					v.ExposedAreaUm2 = ln.sl * d
					aux.normal = f.n
					aux.face = centre.add(f.n.scale(d / 2))
					break
				}
			}
			if label != "" && ci == 0 && cj == 0 {
				v.Label = label
			}
			index[[2]int{ci, cj}] = b.addVoxel(v, aux)
			ln.cells = append(ln.cells, [2]int{ci, cj})
		}
	}
	ln.count = len(ln.cells)
	for _, cell := range ln.cells {
		a := index[cell]
		if o, ok := index[[2]int{cell[0] + 1, cell[1]}]; ok {
			b.couple(a, o, d*ln.sl, d)
		}
		if o, ok := index[[2]int{cell[0], cell[1] + 1}]; ok {
			b.couple(a, o, d*ln.sl, d)
		}
	}
}

// overlap returns the length of [a0,a1] ∩ [b0,b1] (0 if disjoint).
func overlap(a0, a1, b0, b1 float64) float64 {
	return math.Max(0, math.Min(a1, b1)-math.Max(a0, b0))
}

// coupleLines couples the boxes of consecutive lines P (upstream) and C
// (§4.4.3, §4.5). The upstream voxels create the couplings.
func (b *builder) coupleLines(P, C *line, sub bool, shift float64) {
	vox := b.mesh.Voxels
	dist := func(i, j int) float64 { return vox[i].Centre.dist(vox[j].Centre) }
	if b.set.Geometry == Geometry3D {
		own := C.delta
		if P.delta < C.delta {
			own = P.delta
		}
		for pj, pc := range P.cells {
			for ci, cc := range C.cells {
				ox := overlap(float64(pc[0])*P.delta-P.delta/2, float64(pc[0])*P.delta+P.delta/2,
					float64(cc[0])*C.delta-C.delta/2, float64(cc[0])*C.delta+C.delta/2)
				oy := overlap(float64(pc[1])*P.delta-P.delta/2, float64(pc[1])*P.delta+P.delta/2,
					float64(cc[1])*C.delta-C.delta/2, float64(cc[1])*C.delta+C.delta/2)
				a := ox * oy
				if a/(own*own) <= 0.001 {
					continue
				}
				b.couple(P.first+pj, C.first+ci, a, dist(P.first+pj, C.first+ci))
			}
		}
		return
	}
	depth := b.set.depth()
	if !sub && P.count == C.count {
		for i := 0; i < P.count; i++ {
			b.couple(P.first+i, C.first+i, P.widths[i]*depth, dist(P.first+i, C.first+i))
		}
		return
	}
	s := 0.0
	if sub {
		s = -P.width/2 + shift + C.width/2
	}
	for j := 0; j < P.count; j++ {
		p0, p1 := P.offs[j]-P.widths[j]/2, P.offs[j]+P.widths[j]/2
		for i := 0; i < C.count; i++ {
			c0, c1 := s+C.offs[i]-C.widths[i]/2, s+C.offs[i]+C.widths[i]/2
			ov := overlap(p0, p1, c0, c1)
			if ov <= 0 {
				continue
			}
			own := C.widths[i]
			if sub || P.delta < C.delta {
				own = P.widths[j]
			}
			if ov/own <= 0.001 {
				continue
			}
			b.couple(P.first+j, C.first+i, ov*depth, dist(P.first+j, C.first+i))
		}
	}
}

// String describes a line for debugging.
func (ln *line) String() string {
	return fmt.Sprintf("line[%d+%d Δ=%g sl=%g]", ln.first, ln.count, ln.delta, ln.sl)
}
