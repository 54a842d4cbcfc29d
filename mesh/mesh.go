package mesh

import (
	"fmt"
	"math"

	"github.com/spinerd/spinerd/diag"
)

// MaxVoxels bounds the size of a mesh: a model that would need more voxels
// (usually an element size given in the wrong unit) is rejected with an
// error instead of exhausting memory.
const MaxVoxels = 500_000

// DefaultRegion is the region of voxels whose segment or spine section names
// none (NeuroRD 3.3 behaviour; 3.2.3 used a null region).
const DefaultRegion = "default"

// Voxel is one subvolume of the mesh.
type Voxel struct {
	VolumeUm3 float64
	// ExposedAreaUm2 is the membrane area of the voxel (µm²); it is positive
	// exactly for submembrane voxels.
	ExposedAreaUm2 float64
	// DeltaZUm is NeuroRD's deltaZ column: depth2D for 2D boxes, the edge
	// for 3D cubes, the mean radius for spine voxels (µm).
	DeltaZUm float64
	Centre   Vec3
	// Corners outline the voxel as NeuroRD's mesh file does (µm).
	Corners [4]Vec3
	Region  string
	// Label is the point or spine-section label placed on this voxel, if any.
	Label string
	// Group is the spine id "alloc[idx]" for spine voxels, else "".
	Group      string
	Neighbours []Neighbour
}

// Submembrane reports whether the voxel has membrane area.
func (v *Voxel) Submembrane() bool { return v.ExposedAreaUm2 > 0 }

// Type is "submembrane" or "cytosol", as in NeuroRD's outputs.
func (v *Voxel) Type() string {
	if v.Submembrane() {
		return "submembrane"
	}
	return "cytosol"
}

// Neighbour is one diffusive link seen from a voxel.
type Neighbour struct {
	Voxel int
	// CouplingUm is contact area / centre distance (µm).
	CouplingUm float64
}

// Coupling is an undirected link between voxels A and B.
type Coupling struct {
	A, B       int
	AreaUm2    float64 // contact area
	DistanceUm float64 // centre-to-centre distance
}

// G returns the coupling contact area / distance in µm.
func (c Coupling) G() float64 { return c.AreaUm2 / c.DistanceUm }

// Mesh is the discretised morphology.
type Mesh struct {
	Geometry  Geometry
	Depth2DUm float64
	Voxels    []Voxel
	// Couplings in NeuroRD's order: by creating voxel, then creation order.
	Couplings []Coupling
	// Regions lists "default" first, then regions in order of first
	// appearance over the voxels.
	Regions []string
	// ElementSizeUm is the global element size d after NeuroRD's odd-divisor
	// adjustment (§4.2 of the NeuroRD format notes).
	ElementSizeUm float64
	// Spines lists the placed spines in voxel order.
	Spines []Spine
}

// Spine is one placed spine.
type Spine struct {
	Group        string // "alloc[idx]"
	ParentVoxel  int
	FirstVoxel   int
	NumVoxels    int
	AllocationID string
}

// TotalVolumeUm3 sums the voxel volumes.
func (m *Mesh) TotalVolumeUm3() float64 {
	var s float64
	for i := range m.Voxels {
		s += m.Voxels[i].VolumeUm3
	}
	return s
}

// HasRegion reports whether some voxel is in region r ("default" always is).
func (m *Mesh) HasRegion(r string) bool {
	for _, x := range m.Regions {
		if x == r {
			return true
		}
	}
	return false
}

// Discretize turns a morphology into voxels the way NeuroRD 3.3 does for
// Cuboid elements. It returns the mesh and the warnings; err, when not nil,
// is a *diag.Error listing every problem found.
func Discretize(m *Morphology, s Settings) (*Mesh, diag.List, error) {
	b := &builder{morph: m, set: s}
	b.run()
	warns := b.diags.Warnings()
	if err := b.diags.Err(); err != nil {
		return nil, warns, err
	}
	return b.mesh, warns, nil
}

// builder holds the state of one discretisation.
type builder struct {
	morph *Morphology
	set   Settings
	diags diag.List

	tree *tree
	d    float64 // global element size

	mesh  *Mesh
	aux   []voxelAux   // per voxel, geometry needed for spines
	owned [][]Coupling // couplings by creating voxel
	full  bool         // MaxVoxels reached: stop building
}

// voxelAux keeps what spine placement needs to know of a dendrite voxel.
type voxelAux struct {
	normal Vec3 // outward normal of the exposed face
	face   Vec3 // centroid of the exposed face
	axis   Vec3 // axis of the slice the voxel was cut from
}

func (b *builder) run() {
	if b.set.ElementShape != "" && b.set.ElementShape != "Cuboid" {
		b.diags.Errorf(b.set.Pos, "<elementShape>", b.set.ElementShape,
			"elementShape %q is not supported: spinerd builds Cuboid elements only (NeuroRD's Curved discretiser is experimental)", b.set.ElementShape)
		return
	}
	if b.set.Geometry == Geometry3D && len(b.set.SurfaceLayersUm) > 0 {
		b.diags.Errorf(b.set.Pos, "<surfaceLayers>", "", "surface layers are only defined in 2D geometry (NeuroRD rejects them in 3D)")
	}
	for _, l := range b.set.SurfaceLayersUm {
		if !(l > 0) || math.IsInf(l, 0) {
			b.diags.Errorf(b.set.Pos, "<surfaceLayers>", fmt.Sprint(l), "surface layer width %g µm must be positive", l)
		}
	}
	if !(b.set.depth() > 0) || math.IsInf(b.set.depth(), 0) {
		b.diags.Errorf(b.set.Pos, "<depth2D>", fmt.Sprint(b.set.Depth2DUm), "depth2D must be positive")
	}
	for _, o := range b.set.MaxElementSide {
		if !(o.SizeUm > 0) || math.IsInf(o.SizeUm, 0) {
			b.diags.Errorf(o.Pos, fmt.Sprintf("<maxElementSide region=%q>", o.Key), fmt.Sprint(o.SizeUm), "element size %g µm must be positive", o.SizeUm)
		}
	}
	if len(b.morph.Segments) == 0 {
		b.diags.Errorf(diag.Pos{}, "<Morphology>", "", "the morphology has no <Segment>")
		return
	}
	b.tree = buildTree(b.morph, &b.diags)
	if b.diags.HasErrors() {
		return
	}
	b.d = b.globalSize()
	if !b.estimate() {
		return
	}
	b.tree.slice(b.localSize, &b.diags)
	if b.diags.HasErrors() {
		return
	}
	b.mesh = &Mesh{Geometry: b.set.Geometry, Depth2DUm: b.set.depth(), ElementSizeUm: b.d}
	b.traverse()
	b.placeSpines()
	if b.diags.HasErrors() {
		return
	}
	b.finish()
	for i := range b.mesh.Voxels {
		v := &b.mesh.Voxels[i]
		if !(v.VolumeUm3 > 0) || math.IsInf(v.VolumeUm3, 0) {
			b.diags.Errorf(b.set.Pos, "<Morphology>", fmt.Sprint(v.VolumeUm3), "voxel %d (region %s%s) has volume %g µm³: molecules put there would have no concentration and injections would vanish; check the segments' lengths and radii", i, v.Region, labelNote(v.Label), v.VolumeUm3)
		}
	}
}

func labelNote(label string) string {
	if label == "" {
		return ""
	}
	return ", label " + label
}

// estimate reports, before any voxel is built, a morphology whose mesh
// would exceed MaxVoxels: slices along each segment times boxes (2D) or
// cubes (3D) across it, from the element sizes.
func (b *builder) estimate() bool {
	total, worst, worstN := 0.0, "", 0.0
	for _, l := range b.tree.links {
		d := b.localSize(l)
		n := b.tree.linkVoxels(l, d, b.set.Geometry == Geometry3D)
		total += n
		if n > worstN {
			worst, worstN = l.seg, n
		}
	}
	if total > MaxVoxels || math.IsNaN(total) {
		b.diags.Errorf(b.set.Pos, "<discretization>", fmt.Sprint(b.d), "the mesh would have about %.3g voxels (segment %q alone %.3g), more than the limit of %d (memory): increase the element size", total, worst, worstN, MaxVoxels)
		return false
	}
	return true
}

// globalSize is §4.2: the smallest over all points of the largest odd
// fraction of the point's diameter not exceeding defaultMaxElementSide.
func (b *builder) globalSize() float64 {
	d0 := b.set.defaultSide()
	d := d0
	for _, p := range b.tree.points {
		diam := 2 * p.r
		for q := 1; ; q += 2 {
			if diam/float64(q) <= d0 {
				d = math.Min(d, diam/float64(q))
				break
			}
		}
	}
	return d
}

// localSize is the element size of a slice cut from link l: a
// maxElementSide override keyed by segment id, then by region, else d.
func (b *builder) localSize(l *tlink) float64 {
	for _, o := range b.set.MaxElementSide {
		if o.Key == l.seg {
			return o.SizeUm
		}
	}
	for _, o := range b.set.MaxElementSide {
		if o.Key == l.region && l.region != "" {
			return o.SizeUm
		}
	}
	return b.d
}

// addVoxel appends a voxel and returns its index.
func (b *builder) addVoxel(v Voxel, aux voxelAux) int {
	if len(b.mesh.Voxels) >= MaxVoxels {
		b.overflow()
	}
	b.mesh.Voxels = append(b.mesh.Voxels, v)
	b.aux = append(b.aux, aux)
	b.owned = append(b.owned, nil)
	return len(b.mesh.Voxels) - 1
}

// overflow reports (once) that the mesh is too large.
func (b *builder) overflow() {
	if !b.full {
		b.diags.Errorf(b.set.Pos, "<discretization>", "", "the mesh would have more than %d voxels: increase the element size", MaxVoxels)
	}
	b.full = true
}

// couple records a coupling created by voxel a towards voxel b.
func (b *builder) couple(a, c int, area, dist float64) {
	if area <= 0 || dist <= 0 {
		return
	}
	b.owned[a] = append(b.owned[a], Coupling{A: a, B: c, AreaUm2: area, DistanceUm: dist})
}

// finish flattens couplings into NeuroRD's global order, fills neighbour
// lists and the region list.
func (b *builder) finish() {
	m := b.mesh
	for _, cs := range b.owned {
		m.Couplings = append(m.Couplings, cs...)
	}
	for _, c := range m.Couplings {
		g := c.G()
		m.Voxels[c.A].Neighbours = append(m.Voxels[c.A].Neighbours, Neighbour{Voxel: c.B, CouplingUm: g})
		m.Voxels[c.B].Neighbours = append(m.Voxels[c.B].Neighbours, Neighbour{Voxel: c.A, CouplingUm: g})
	}
	m.Regions = []string{DefaultRegion}
	seen := map[string]bool{DefaultRegion: true}
	for i := range m.Voxels {
		r := m.Voxels[i].Region
		if !seen[r] {
			seen[r] = true
			m.Regions = append(m.Regions, r)
		}
	}
}
