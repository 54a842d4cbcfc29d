package mesh

import (
	"fmt"
	"math"

	"github.com/spinerd/spinerd/diag"
)

// tpoint is a node of the point tree (§4.1): a segment end, a merged
// attachment point or a point inserted by axial slicing.
type tpoint struct {
	order     int
	pos       Vec3
	r         float64
	label     string
	labelUsed bool
	links     []*tlink // neighbour order
}

// tlink joins two tree points. Joint links are zero-length connections to
// a sub-branch whose radius differs from the point it is attached to.
type tlink struct {
	a, b   *tpoint
	seg    string
	region string
	joint  bool
}

func (l *tlink) other(p *tpoint) *tpoint {
	if l.a == p {
		return l.b
	}
	return l.a
}

// tree is the morphology as points and links.
type tree struct {
	points []*tpoint
	links  []*tlink
	// chains holds, per segment index, its points after slicing (for
	// interior atFraction attachments).
	chains [][]*tpoint
	// pending interior attachments, resolved after slicing.
	interior []interiorAttach
}

type interiorAttach struct {
	p      *tpoint
	target int // segment index
	link   *tlink
}

func segName(s *Segment, i int) string {
	if s.ID != "" {
		return fmt.Sprintf("<Segment id=%q>", s.ID)
	}
	return fmt.Sprintf("<Segment #%d>", i+1)
}

// buildTree makes points from segments, resolves on/at attachments
// (merging points of equal radius) and links each segment's ends.
func buildTree(m *Morphology, diags *diag.List) *tree {
	t := &tree{}
	byID := map[string]int{}
	for i, s := range m.Segments {
		if s.ID == "" {
			continue
		}
		if j, dup := byID[s.ID]; dup {
			diags.Errorf(s.Pos, segName(&s, i), s.ID, "duplicate segment id %q (first at %s)", s.ID, m.Segments[j].Pos)
			continue
		}
		byID[s.ID] = i
	}
	n := len(m.Segments)
	// specs[i][0|1] is the written start/end of segment i.
	pts := make([][2]*tpoint, n)
	for i := range m.Segments {
		for e := 0; e < 2; e++ {
			pts[i][e] = &tpoint{}
		}
	}
	spec := func(i, e int) *Point {
		if e == 0 {
			return &m.Segments[i].Start
		}
		return &m.Segments[i].End
	}
	// Resolve coordinates; attachments may refer to points that are
	// themselves attached, so iterate until nothing changes.
	done := make([][2]bool, n)
	merged := map[*tpoint]*tpoint{}
	find := func(p *tpoint) *tpoint {
		for merged[p] != nil {
			p = merged[p]
		}
		return p
	}
	type joint struct{ a, b *tpoint }
	var joints []joint
	for pass := 0; pass <= 2*n+1; pass++ {
		progress := false
		for i := range m.Segments {
			for e := 0; e < 2; e++ {
				if done[i][e] {
					continue
				}
				ps := spec(i, e)
				p := pts[i][e]
				seg := &m.Segments[i]
				elem := segName(seg, i) + map[int]string{0: "/<start>", 1: "/<end>"}[e]
				if ps.On == "" {
					if !(ps.HasX && ps.HasY && ps.HasZ && ps.HasR) {
						missing := ""
						for _, c := range []struct {
							has  bool
							name string
						}{{ps.HasX, "x"}, {ps.HasY, "y"}, {ps.HasZ, "z"}, {ps.HasR, "r"}} {
							if !c.has {
								missing += " " + c.name
							}
						}
						diags.Errorf(ps.Pos, elem, "", "point has no%s and no on= attachment", missing)
					}
					p.pos = Vec3{ps.XUm, ps.YUm, ps.ZUm}
					p.r = ps.RUm
					p.label = ps.Label
					done[i][e] = true
					progress = true
					continue
				}
				ti, ok := byID[ps.On]
				if !ok {
					diags.Errorf(ps.Pos, elem, ps.On, "on=%q names no segment", ps.On)
					done[i][e] = true
					continue
				}
				var te int
				interior := false
				switch {
				case ps.HasAtFraction && ps.AtFraction > 0 && ps.AtFraction < 1:
					interior = true
				case ps.HasAtFraction && ps.AtFraction <= 0 && ps.AtFraction >= 0:
					te = 0
				case ps.HasAtFraction && ps.AtFraction == 1:
					te = 1
				case ps.HasAtFraction:
					diags.Errorf(ps.Pos, elem, fmt.Sprint(ps.AtFraction), "atFraction %g is outside [0, 1]", ps.AtFraction)
					done[i][e] = true
					continue
				case ps.At == "start":
					te = 0
				case ps.At == "end" || ps.At == "":
					te = 1
				default:
					diags.Errorf(ps.Pos, elem, ps.At, "at=%q must be \"start\" or \"end\"", ps.At)
					done[i][e] = true
					continue
				}
				if interior {
					// Needs both ends of the target and this segment's other end.
					if !done[ti][0] || !done[ti][1] || !done[i][1-e] {
						continue
					}
					a, bb := find(pts[ti][0]), find(pts[ti][1])
					f := ps.AtFraction
					base := a.pos.lerp(bb.pos, f)
					rf := a.r + (bb.r-a.r)*f
					other := find(pts[i][1-e]).pos
					shifted := base.add(other.sub(base).unit().scale(rf))
					p.pos, p.r = ps.fill(shifted, rf)
					p.label = ps.Label
					t.interior = append(t.interior, interiorAttach{p: p, target: ti})
					done[i][e] = true
					progress = true
					continue
				}
				if !done[ti][te] {
					continue
				}
				tp := find(pts[ti][te])
				p.pos, p.r = ps.fill(tp.pos, tp.r)
				p.label = ps.Label
				if math.Abs(p.r-tp.r) <= 1e-4*(p.r+tp.r) {
					merged[p] = tp // its label is lost, as in NeuroRD
				} else {
					joints = append(joints, joint{tp, p})
				}
				done[i][e] = true
				progress = true
			}
		}
		if !progress {
			break
		}
	}
	for i := range m.Segments {
		for e := 0; e < 2; e++ {
			if !done[i][e] {
				ps := spec(i, e)
				diags.Errorf(ps.Pos, segName(&m.Segments[i], i), ps.On, "attachment on=%q cannot be resolved (circular attachments?)", ps.On)
				done[i][e] = true
			}
		}
	}
	if diags.HasErrors() {
		return t
	}
	// Point order: start, end of each segment in file order.
	seen := map[*tpoint]bool{}
	for i := range m.Segments {
		for e := 0; e < 2; e++ {
			p := find(pts[i][e])
			if !seen[p] {
				seen[p] = true
				p.order = len(t.points)
				t.points = append(t.points, p)
			}
		}
	}
	t.chains = make([][]*tpoint, n)
	for i := range m.Segments {
		s := &m.Segments[i]
		a, b := find(pts[i][0]), find(pts[i][1])
		for e, p := range []*tpoint{a, b} {
			if !(p.r > 0) || math.IsInf(p.r, 0) || math.IsNaN(p.r) {
				ps := spec(i, e)
				diags.Errorf(ps.Pos, segName(s, i), fmt.Sprint(p.r), "radius r=%g µm must be positive", p.r)
			}
		}
		if a == b {
			diags.Errorf(s.Pos, segName(s, i), "", "segment starts and ends at the same point")
			continue
		}
		if l := a.pos.sub(b.pos).norm(); !(l > 0) || math.IsInf(l, 0) {
			diags.Errorf(s.Pos, segName(s, i), fmt.Sprint(l), "segment length %g µm must be positive and finite: its voxels would have no volume (start and end at (%g, %g, %g) and (%g, %g, %g))",
				l, a.pos[0], a.pos[1], a.pos[2], b.pos[0], b.pos[1], b.pos[2])
			continue
		}
		l := t.link(a, b, s.ID, s.Region)
		t.chains[i] = []*tpoint{a, b}
		for k := range t.interior {
			if t.interior[k].p == a || t.interior[k].p == b {
				// The segment's own link carries its region for the
				// attachment link made after slicing.
				if t.interior[k].link == nil {
					t.interior[k].link = l
				}
			}
		}
	}
	for _, j := range joints {
		l := t.link(j.a, j.b, "", "")
		l.joint = true
	}
	return t
}

// fill returns the point's written coordinates and radius, taking those
// not written from pos and r (the point it attaches to).
func (ps *Point) fill(pos Vec3, r float64) (Vec3, float64) {
	if ps.HasX {
		pos[0] = ps.XUm
	}
	if ps.HasY {
		pos[1] = ps.YUm
	}
	if ps.HasZ {
		pos[2] = ps.ZUm
	}
	if ps.HasR {
		r = ps.RUm
	}
	return pos, r
}

func (t *tree) link(a, b *tpoint, seg, region string) *tlink {
	l := &tlink{a: a, b: b, seg: seg, region: region}
	a.links = append(a.links, l)
	b.links = append(b.links, l)
	t.links = append(t.links, l)
	return l
}

// replaceLink puts nl where old was in p's neighbour list.
func (p *tpoint) replaceLink(old, nl *tlink) {
	for i, l := range p.links {
		if l == old {
			p.links[i] = nl
			return
		}
	}
}

// slice is §4.3: cut every non-joint link into k = max(1, floor(L/Δ))
// slices of equal length by inserting points with interpolated radius.
func (t *tree) slice(size func(*tlink) float64, diags *diag.List) {
	orig := t.links
	t.links = nil
	for _, l := range orig {
		if l.joint {
			t.links = append(t.links, l)
			continue
		}
		chain := t.sliceLink(l, size(l), diags)
		for si, c := range t.chains {
			if len(c) == 2 && ((c[0] == l.a && c[1] == l.b) || (c[0] == l.b && c[1] == l.a)) {
				t.chains[si] = chain
			}
		}
	}
	// Interior attachments link to the nearest slicing point of the target.
	for _, ia := range t.interior {
		chain := t.chains[ia.target]
		var best *tpoint
		bestD := math.Inf(1)
		for _, q := range chain {
			if d := q.pos.dist(ia.p.pos); d < bestD {
				best, bestD = q, d
			}
		}
		if best == nil {
			continue
		}
		seg, region := "", ""
		if ia.link != nil {
			seg, region = ia.link.seg, ia.link.region
		}
		t.link(best, ia.p, seg, region)
	}
}

func (t *tree) sliceLink(l *tlink, delta float64, diags *diag.List) []*tpoint {
	L := l.a.pos.dist(l.b.pos)
	kf := math.Floor(L / delta)
	if kf > MaxVoxels || len(t.points) > MaxVoxels {
		diags.Errorf(diag.Pos{}, fmt.Sprintf("segment %q", l.seg), "",
			"length %.4g µm with element size %.4g µm gives more than %d slices: increase the element size", L, delta, MaxVoxels)
		t.links = append(t.links, l)
		return []*tpoint{l.a, l.b}
	}
	k := int(kf)
	if k < 1 {
		k = 1
		if L >= 0.01 {
			diags.Warnf(diag.Pos{}, fmt.Sprintf("segment %q", l.seg), "",
				"length %.4g µm is shorter than the element size %.4g µm: one slice", L, delta)
		}
	}
	if k == 1 {
		t.links = append(t.links, l)
		return []*tpoint{l.a, l.b}
	}
	chain := []*tpoint{l.a}
	prev := l.a
	var first *tlink
	for j := 1; j < k; j++ {
		f := float64(j) / float64(k)
		p := &tpoint{
			order: len(t.points),
			pos:   l.a.pos.lerp(l.b.pos, f),
			r:     l.a.r + (l.b.r-l.a.r)*f,
		}
		t.points = append(t.points, p)
		nl := &tlink{a: prev, b: p, seg: l.seg, region: l.region}
		if first == nil {
			first = nl
			l.a.replaceLink(l, nl)
		} else {
			prev.links = append(prev.links, nl)
		}
		p.links = append(p.links, nl)
		t.links = append(t.links, nl)
		chain = append(chain, p)
		prev = p
	}
	last := &tlink{a: prev, b: l.b, seg: l.seg, region: l.region}
	prev.links = append(prev.links, last)
	l.b.replaceLink(l, last)
	t.links = append(t.links, last)
	return append(chain, l.b)
}

// linkVoxels estimates the voxels link l gives at element size d: its
// slices times the boxes (2D) or cubes (3D) across the larger radius.
func (t *tree) linkVoxels(l *tlink, d float64, cubes bool) float64 {
	slices := math.Floor(l.a.pos.dist(l.b.pos)/d) + 1
	across := 2*math.Floor(math.Max(l.a.r, l.b.r)/d) + 1
	if cubes {
		across *= across
	}
	return slices * across
}
