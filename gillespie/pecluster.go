package gillespie

import (
	"maps"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/spinerd/spinerd/mesh"
)

// Partial equilibrium of diffusion: the molecules of one species inside a
// cluster of voxels, moving only by the hops between voxels of the
// cluster, are at equilibrium when they are multinomially distributed
// over the voxels with probabilities proportional to volume (NeuroRD's
// hop rates D·G/V satisfy detailed balance with these weights). The
// conditional law given the cluster's total T is then exact and in closed
// form: X_v ~ Binomial(T, w_v) marginally, E[X_v^(p)] = T^(p)·w_v^p for
// the falling factorials of the readers' propensities.
//
// Clusters are the nodes of a hierarchy of the mesh built once from its
// couplings by recursive spectral bisection: a node is split along the
// sign of the Fiedler vector of its diffusion generator (its slowest
// mode), and each side into its connected parts, down to single voxels.
// A node's slowest mixing rate is λ₂ = D·gap, gap being the spectral gap
// of the generator for D = 1 µm²/ms; the lag of its counts behind
// equilibrium under a drift r (molecules/ms per voxel) is δ = M·r/D, M
// the generator's pseudo-inverse for D = 1 (precomputed per node).

// meshNode is one cluster of the hierarchy.
type meshNode struct {
	vox      []int32   // voxels, ascending
	w        []float64 // volume fractions
	gap      float64   // spectral gap for D = 1 µm²/ms (1/ms)
	lag      []float64 // m×m: δ = lag·r / D
	parent   int32
	children []int32
}

// meshTree is the hierarchy: nodes[0..] with roots listed (one per
// connected part of the mesh).
type meshTree struct {
	nodes []meshNode
	roots []int32
	// path[v] lists the nodes containing voxel v, from its root down.
	path [][]int32
}

// newMeshTree builds the hierarchy of the mesh's couplings, over the
// voxels mask marks (nil: all; the others are in no node, and their paths
// are empty).
func newMeshTree(msh *mesh.Mesh, mask []bool) *meshTree {
	nv := len(msh.Voxels)
	g := make([]map[int32]float64, nv)
	for a := range msh.Voxels {
		g[a] = map[int32]float64{}
	}
	for a, v := range msh.Voxels {
		for _, nb := range v.Neighbours {
			if nb.CouplingUm > 0 && nb.Voxel != a {
				// symmetrise: G should be, up to rounding
				g[a][int32(nb.Voxel)] += nb.CouplingUm / 2
				g[nb.Voxel][int32(a)] += nb.CouplingUm / 2
			}
		}
	}
	vol := make([]float64, nv)
	for a, v := range msh.Voxels {
		vol[a] = v.VolumeUm3
	}
	t := &meshTree{path: make([][]int32, nv)}
	var all []int32
	for v := range nv {
		if mask == nil || mask[v] {
			all = append(all, int32(v))
		}
	}
	for _, part := range components(all, g) {
		t.roots = append(t.roots, t.build(part, -1, g, vol))
	}
	for id := range t.nodes {
		for _, v := range t.nodes[id].vox {
			t.path[v] = append(t.path[v], int32(id))
		}
	}
	// nodes are created parents first, so each path runs root → leaf
	return t
}

// components splits the voxels vs into the parts connected within vs.
func components(vs []int32, g []map[int32]float64) [][]int32 {
	in := map[int32]bool{}
	for _, v := range vs {
		in[v] = true
	}
	seen := map[int32]bool{}
	var parts [][]int32
	for _, v := range vs {
		if seen[v] {
			continue
		}
		part := []int32{v}
		seen[v] = true
		for k := 0; k < len(part); k++ {
			for u := range g[part[k]] {
				if in[u] && !seen[u] {
					seen[u] = true
					part = append(part, u)
				}
			}
		}
		slices.Sort(part)
		parts = append(parts, part)
	}
	return parts
}

// build adds the node of the connected voxels vs and its descendants.
func (t *meshTree) build(vs []int32, parent int32, g []map[int32]float64, vol []float64) int32 {
	id := int32(len(t.nodes))
	t.nodes = append(t.nodes, meshNode{vox: vs, parent: parent})
	m := len(vs)
	nd := &t.nodes[id]
	total := 0.0
	for _, v := range vs {
		total += vol[v]
	}
	nd.w = make([]float64, m)
	for i, v := range vs {
		nd.w[i] = vol[v] / total
	}
	if m == 1 {
		return id
	}
	// S = V^−½ L V^−½, L the Laplacian of the couplings inside vs: the
	// count generator is −L·V⁻¹, similar to −S.
	idx := map[int32]int{}
	for i, v := range vs {
		idx[v] = i
	}
	s := mat.NewSymDense(m, nil)
	for i, a := range vs {
		// in ascending order of the neighbours: the sums, and so the
		// node's gap and lag, must not depend on the map's order (a run
		// is a function of its seed)
		for _, b := range slices.Sorted(maps.Keys(g[a])) {
			gab := g[a][b]
			j, ok := idx[b]
			if !ok {
				continue
			}
			if i < j {
				s.SetSym(i, j, s.At(i, j)-gab/math.Sqrt(vol[a]*vol[b]))
			}
			s.SetSym(i, i, s.At(i, i)+gab/vol[a])
		}
	}
	var es mat.EigenSym
	if !es.Factorize(s, true) {
		return id // leave unsplit: no partial equilibrium for it
	}
	vals := es.Values(nil)
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	// vals ascending; vals[0] ≈ 0 (the equilibrium), vals[1] the gap
	nd.gap = vals[1]
	// lag = V^½ S⁺ V^−½ (each eigenvector copied out of the matrix and the
	// √volumes taken once: the same products in the same order as with
	// At and math.Sqrt per term of this O(m³) sum, so the same values)
	nd.lag = make([]float64, m*m)
	raw := vecs.RawMatrix()
	sv := make([]float64, m) // √volumes
	for i, v := range vs {
		sv[i] = math.Sqrt(vol[v])
	}
	ck := make([]float64, m) // eigenvector k, contiguous
	for k := 1; k < m; k++ {
		if !(vals[k] > 1e-12*vals[m-1]) {
			continue
		}
		for j := range ck {
			ck[j] = raw.Data[j*raw.Stride+k]
		}
		for i := 0; i < m; i++ {
			yi := ck[i] * sv[i] / vals[k]
			row := nd.lag[i*m : (i+1)*m]
			for j := range row {
				row[j] += yi * ck[j] / sv[j]
			}
		}
	}
	// split by the sign of the Fiedler vector of the generator (V^−½ y)
	var neg, pos []int32
	for i, v := range vs {
		if vecs.At(i, 1) < 0 {
			neg = append(neg, v)
		} else {
			pos = append(pos, v)
		}
	}
	if len(neg) == 0 || len(pos) == 0 { // degenerate: halve by order
		neg, pos = vs[:m/2], vs[m/2:]
	}
	var kids []int32
	for _, side := range [2][]int32{neg, pos} {
		for _, part := range components(side, g) {
			kids = append(kids, t.build(part, id, g, vol))
		}
	}
	t.nodes[id].children = kids
	return id
}
