package mesh

import (
	"math"

	"github.com/spinerd/spinerd/diag"
)

// Morphology is the declarative cell geometry: segments with radii, spine
// prototypes and their allocations. Lengths are µm.
type Morphology struct {
	Segments         []Segment
	SpineTypes       []SpineType
	SpineAllocations []SpineAllocation
}

// Segment is a truncated cone between two points. All voxels cut from it
// belong to Region ("default" when empty).
type Segment struct {
	ID     string
	Region string
	Start  Point
	End    Point
	Pos    diag.Pos
}

// Point is one end of a segment as written. Coordinates and radius that are
// not given (Has* false) are copied from the point named by On/At.
type Point struct {
	XUm, YUm, ZUm, RUm     float64
	HasX, HasY, HasZ, HasR bool
	Label                  string
	// On names another segment this point attaches to; At is "start" or
	// "end" of that segment, or AtFraction in [0,1] along it.
	On            string
	At            string
	AtFraction    float64
	HasAtFraction bool
	Pos           diag.Pos
}

// SpineType is a spine prototype: a profile of sections along its axis.
type SpineType struct {
	ID       string
	Sections []Section
	Pos      diag.Pos
}

// Section is one point of a spine profile. WidthUm is a diameter (NeuroRD
// reads it as a diameter although its manual calls it a radius).
type Section struct {
	AtUm        float64 // distance from the dendrite surface, µm
	WidthUm     float64 // diameter at that distance, µm
	RegionClass string
	Label       string
	Pos         diag.Pos
}

// SpineAllocation places copies of a spine type on the submembrane voxels
// of a region.
type SpineAllocation struct {
	ID        string
	SpineType string
	Region    string
	// AreaDensityPerUm2 is spines per µm² of exposed membrane. When it is
	// zero, LengthDensityPerUm (spines per µm, deprecated) is converted to
	// an area density as LengthDensity/depth2D/2 (also in 3D, as NeuroRD does).
	AreaDensityPerUm2  float64
	LengthDensityPerUm float64
	Pos                diag.Pos
}

// Geometry selects how slices become voxels.
type Geometry int

const (
	// Geometry2D cuts each slice into a line of boxes one box (depth2D) thick.
	Geometry2D Geometry = iota
	// Geometry3D cuts each slice into a square grid of cubes inside the radius.
	Geometry3D
)

func (g Geometry) String() string {
	if g == Geometry3D {
		return "3D"
	}
	return "2D"
}

// SizeOverride is a <maxElementSide region="Key"> entry: Key matches a
// segment id first, then a region name.
type SizeOverride struct {
	Key    string
	SizeUm float64
	Pos    diag.Pos
}

// Settings are the discretisation parameters of a model.
type Settings struct {
	Geometry Geometry
	// Depth2DUm is the slab thickness in 2D (µm). Zero means NeuroRD's 0.5.
	Depth2DUm float64
	// DefaultMaxElementSideUm is the target voxel edge (µm); +Inf (or 0)
	// when the model has no <discretization>.
	DefaultMaxElementSideUm float64
	MaxElementSide          []SizeOverride
	// SpineDeltaXUm is the axial voxel length in spines; zero means
	// DefaultMaxElementSideUm as written.
	SpineDeltaXUm   float64
	SurfaceLayersUm []float64
	// ElementShape is "" or "Cuboid" (supported) or "Curved" (rejected).
	ElementShape string
	// SpineSeed seeds the spine placement generator (MT19937, as NeuroRD).
	SpineSeed int64
	// Pos locates the <discretization> element for messages.
	Pos diag.Pos
}

func (s Settings) depth() float64 {
	if s.Depth2DUm > 0 {
		return s.Depth2DUm
	}
	return 0.5
}

func (s Settings) defaultSide() float64 {
	if s.DefaultMaxElementSideUm > 0 {
		return s.DefaultMaxElementSideUm
	}
	return math.Inf(1)
}
