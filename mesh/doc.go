// Package mesh owns the morphology of a model (segments, spine prototypes
// and allocations) and its discretisation into voxels, the way NeuroRD 3.3
// builds its Cuboid grids, so that a NeuroRD model gets the same voxels,
// in the same order, with the same volumes and couplings.
//
// Units: lengths µm, areas µm², volumes µm³. A coupling G = contact area /
// centre distance (µm); a molecule of diffusion constant D (µm²/ms) hops
// from voxel a to b at rate D·G/V_a per ms.
//
// The algorithm (section numbers refer to ../shared/docs/neurord-format.md):
//
//   - §4.1 segment ends become a point tree; on/at attachments of equal
//     radius merge points, of different radius make a zero-length
//     "sub-branch" joint;
//   - §4.2 the global element size d is the smallest over all points of the
//     largest odd fraction of the point's diameter not above
//     defaultMaxElementSide; maxElementSide entries (by segment id, then
//     region) replace it for their slices;
//   - §4.3 each link is cut into k = max(1, ⌊L/Δ⌋) slices of length L/k;
//   - §4.4 in 2D a slice becomes a line of boxes across the dendrite
//     (optional surface layers, then an odd number of boxes of width Δ), one box
//     (depth2D) thick; §4.5 in 3D a square grid of cubes within the radius;
//   - lines are numbered depth-first from the first point with one
//     neighbour; at branch points children are taken in order of their
//     angle to the parent direction, from the right-hand turn to the left;
//   - §4.6 spines are placed on submembrane voxels with NeuroRD's generator
//     (MT19937 seeded with spineSeed), so they land on the same voxels, and
//     cut into frusta of length spineDeltaX.
//
// Checked against NeuroRD: the meshes of every run in ../shared/reference
// (a 100-voxel line, 2D grids with surface layers, a spine on a dendrite)
// match NeuroRD's own mesh files: voxel order, corners, volumes,
// neighbour order and couplings. Parts of the algorithm that no reference
// run exercises follow the specification's reading of NeuroRD's code:
// branch ordering, sub-branch alignment (the thin branch's line is placed
// against the top edge of its parent's line; in 3D it is centred), the
// interior atFraction attachment (placed at the intended point; NeuroRD
// multiplies instead of adding the z offset), and 3D voxel centres (spinerd
// uses the true transverse axes; NeuroRD puts the second offset along the
// segment, which only changes spine–dendrite distances in 3D).
// NeuroRD's experimental Curved elements are rejected with an error.
package mesh
