package deterministic

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// sparseLU factors matrices M = I − c·J on the Jacobian's fixed pattern.
//
// The ordering is a greedy minimum-fill ordering of the symmetrised
// pattern (J + Jᵀ) (minimum degree above minFillMaxN unknowns), computed
// once; the symbolic factorisation (the filled pattern
// of L + U, from the elimination tree) is computed once too, so every
// numeric factorisation is one pass of row-wise Gaussian elimination over
// a fixed structure, without allocation. There is no pivoting: M has unit
// diagonal plus c·|consumption rates|, and the symmetric ordering keeps
// the diagonal (as the Yale sparse matrix package in LSODES does). A pivot
// that loses more than 12 digits against its row makes the factorisation
// fall back to dense LU with partial pivoting (gonum), so an unlucky
// matrix costs time, never accuracy.
type sparseLU struct {
	*luSymbolic
	val []float64
	x   []float64
	// invDiag holds the reciprocal pivots of the last factorisation.
	invDiag []float64

	dense   *mat.LU // fallback when the sparse factorisation fails
	denseM  *mat.Dense
	usingLU bool
}

// luSymbolic is the part of a sparseLU that depends on the pattern only
// (and can be shared by runs, see Cache).
type luSymbolic struct {
	n     int
	perm  []int32 // perm[new] = old
	iperm []int32 // iperm[old] = new
	lp    []int32 // filled pattern, CSR by new row, sorted columns
	li    []int32
	dpos  []int32 // position of the diagonal in each row
	jmap  []int32 // J's CSR position → position in val
	jdiag []int32 // for each old i, val position of (i,i)
	// upd lists, in the order eliminate makes them, the positions that
	// the updates row_i −= l_ik·row_k (U part of row k) write to.
	upd []int32

	jp0, ji0 []int32 // J's pattern, for the dense fallback

	err error // *SizeError: the factorisation is too large to be stored
}

// MaxLUUpdates bounds the multiply-adds of one factorisation of the
// Jacobian's sparse LU (after the minimum-fill ordering), whose positions
// are stored (4 bytes each): 2^27, 512 MB and about a second per
// factorisation. The spine model in one voxel needs 3.4 thousand; in a
// spatial model, diffusion couples every species across the mesh and the
// fill grows much faster than the number of voxels (the spine model on
// the 108-voxel dendrite of spine2020_dend, 22,032 equations, exceeds it).
const MaxLUUpdates = 1 << 27

// SizeError reports a model whose ODE system is too large for the direct
// sparse solver.
type SizeError struct {
	Equations int   // species × voxels
	Updates   int64 // multiply-adds per factorisation
	Limit     int64 // the bound it exceeds (MaxLUUpdates)
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("the ODE system has %d equations (species × voxels) and the sparse LU of its Jacobian needs %.3g multiply-adds per factorisation (limit %d, %d MB of stored positions): too large for the deterministic solver; use a stochastic method (e.g. --method adaptive)", e.Equations, float64(e.Updates), e.Limit, e.Limit*4>>20)
}

// newSparseLU returns a factoriser for the pattern (jp, ji) with the
// symbolic analysis sym (nil: computed here).
func newSparseLU(n int, jp, ji []int32, sym *luSymbolic) *sparseLU {
	if sym == nil {
		sym = analyse(n, jp, ji)
	}
	return &sparseLU{luSymbolic: sym, val: make([]float64, len(sym.li)),
		x: make([]float64, n), invDiag: make([]float64, n)}
}

var errSingular = errors.New("singular matrix")

// analyse computes the ordering and the symbolic factorisation.
func analyse(n int, jp, ji []int32) *luSymbolic {
	return analyseUpTo(n, jp, ji, MaxLUUpdates)
}

// analyseUpTo is analyse with the bound on the multiply-adds of a
// factorisation given.
func analyseUpTo(n int, jp, ji []int32, maxUpdates int64) *luSymbolic {
	s := &luSymbolic{n: n, jp0: jp, ji0: ji}
	// Symmetrised adjacency without the diagonal.
	adj := make([][]int32, n)
	for i := 0; i < n; i++ {
		for q := jp[i]; q < jp[i+1]; q++ {
			j := ji[q]
			if int(j) != i {
				adj[i] = append(adj[i], j)
				adj[j] = append(adj[j], int32(i))
			}
		}
	}
	for i := range adj {
		adj[i] = dedup(adj[i])
	}
	s.perm = fillReducingOrder(adj)
	s.iperm = make([]int32, n)
	for k, o := range s.perm {
		s.iperm[o] = int32(k)
	}
	// Permuted symmetric pattern, lower part per row.
	lower := make([][]int32, n)
	for o := 0; o < n; o++ {
		i := s.iperm[o]
		for _, oj := range adj[o] {
			if j := s.iperm[oj]; j < i {
				lower[i] = append(lower[i], j)
			}
		}
	}
	// Elimination tree (Liu's algorithm with path compression).
	parent := make([]int32, n)
	ancestor := make([]int32, n)
	for i := 0; i < n; i++ {
		parent[i], ancestor[i] = -1, -1
		for _, k := range lower[i] {
			r := k
			for ancestor[r] != -1 && ancestor[r] != int32(i) {
				next := ancestor[r]
				ancestor[r] = int32(i)
				r = next
			}
			if ancestor[r] == -1 {
				ancestor[r] = int32(i)
				parent[r] = int32(i)
			}
		}
	}
	// Row structure of L: the reach of each row's lower entries in the
	// elimination tree.
	mark := make([]int32, n)
	for i := range mark {
		mark[i] = -1
	}
	lrows := make([][]int32, n)
	for i := 0; i < n; i++ {
		mark[i] = int32(i)
		for _, k := range lower[i] {
			for r := k; r != -1 && mark[r] != int32(i); r = parent[r] {
				mark[r] = int32(i)
				lrows[i] = append(lrows[i], r)
			}
		}
		sort.Slice(lrows[i], func(a, b int) bool { return lrows[i][a] < lrows[i][b] })
	}
	urows := make([][]int32, n)
	for i := 0; i < n; i++ {
		for _, k := range lrows[i] {
			urows[k] = append(urows[k], int32(i))
		}
	}
	s.lp = make([]int32, n+1)
	s.dpos = make([]int32, n)
	for i := 0; i < n; i++ {
		s.li = append(s.li, lrows[i]...)
		s.dpos[i] = int32(len(s.li))
		s.li = append(s.li, int32(i))
		s.li = append(s.li, urows[i]...) // increasing: rows were visited in order
		s.lp[i+1] = int32(len(s.li))
	}
	s.jmap = make([]int32, len(ji))
	for o := 0; o < n; o++ {
		for q := jp[o]; q < jp[o+1]; q++ {
			s.jmap[q] = s.find(s.iperm[o], s.iperm[ji[q]])
		}
	}
	s.jdiag = make([]int32, n)
	for o := 0; o < n; o++ {
		s.jdiag[o] = s.dpos[s.iperm[o]]
	}
	// One update position per multiply-add of a factorisation: count
	// them before storing them.
	var nupd int64
	for i := 0; i < n; i++ {
		for p := s.lp[i]; p < s.dpos[i]; p++ {
			k := s.li[p]
			nupd += int64(s.lp[k+1] - s.dpos[k] - 1)
		}
	}
	if nupd > maxUpdates {
		s.err = &SizeError{Equations: n, Updates: nupd, Limit: maxUpdates}
		return s
	}
	s.upd = make([]int32, 0, nupd)
	for i := int32(0); i < int32(n); i++ {
		for p := s.lp[i]; p < s.dpos[i]; p++ {
			k := s.li[p]
			for q := s.dpos[k] + 1; q < s.lp[k+1]; q++ {
				s.upd = append(s.upd, s.find(i, s.li[q]))
			}
		}
	}
	// The unchecked loops of factor, solve and eliminate rely on these.
	checkIndices("LU position", s.jmap, len(s.li))
	checkIndices("LU position", s.jdiag, len(s.li))
	checkIndices("LU column", s.li, n)
	checkIndices("LU update", s.upd, len(s.li))
	checkIndices("LU row pointer", s.lp, len(s.li)+1)
	checkIndices("LU diagonal", s.dpos, len(s.li))
	if len(s.upd) == 0 {
		s.upd = make([]int32, 1) // eliminate takes &upd[0]
	}
	return s
}

func dedup(a []int32) []int32 {
	sort.Slice(a, func(i, j int) bool { return a[i] < a[j] })
	out := a[:0]
	for i, v := range a {
		if i == 0 || v != a[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func (s *luSymbolic) find(row, col int32) int32 {
	r := s.li[s.lp[row]:s.lp[row+1]]
	k := sort.Search(len(r), func(i int) bool { return r[i] >= col })
	if k == len(r) || r[k] != col {
		panic("deterministic: entry outside the filled pattern")
	}
	return s.lp[row] + int32(k)
}

// minFillMaxN is the largest number of unknowns ordered by minimum fill;
// larger systems (many voxels) use minimum degree, whose cost does not
// grow with the square of the degrees.
const minFillMaxN = 4000

// fillReducingOrder returns an elimination order of the symmetric graph
// adj (no self loops).
func fillReducingOrder(adj [][]int32) []int32 {
	if len(adj) > minFillMaxN {
		return minimumDegree(adj)
	}
	return minimumFill(adj)
}

// minimumFill returns a greedy minimum-fill elimination order of the
// graph adj: each step eliminates the vertex whose elimination adds the
// fewest edges between its neighbours (ties: fewer neighbours, then the
// lowest index). On the spine model's Jacobian (204 unknowns) it needs a
// seventh of the multiply-adds of minimum degree with lowest-index ties
// (3.4k against 22.9k per factorisation) and half the nonzeros.
func minimumFill(adj [][]int32) []int32 {
	n := len(adj)
	g := make([][]int32, n)
	for i := range adj {
		g[i] = append([]int32(nil), adj[i]...)
	}
	gone := make([]bool, n)
	mark := make([]int32, n) // mark[w] == tag: w is a neighbour of the vertex being examined
	for i := range mark {
		mark[i] = -1
	}
	tag := int32(0)
	fillOf := func(i int) int {
		tag++
		for _, a := range g[i] {
			mark[a] = tag
		}
		adjPairs := 0
		for _, a := range g[i] {
			for _, b := range g[a] {
				if mark[b] == tag {
					adjPairs++
				}
			}
		}
		d := len(g[i])
		return d*(d-1)/2 - adjPairs/2
	}
	fill := make([]int, n)
	for i := range fill {
		fill[i] = fillOf(i)
	}
	dirty := make([]bool, n)
	order := make([]int32, 0, n)
	for step := 0; step < n; step++ {
		p := -1
		for i := 0; i < n; i++ {
			if gone[i] {
				continue
			}
			if p < 0 || fill[i] < fill[p] || (fill[i] == fill[p] && len(g[i]) < len(g[p])) {
				p = i
			}
		}
		order = append(order, int32(p))
		nb := g[p]
		eliminateVertex(g, gone, mark, &tag, p)
		// Every vertex next to a changed one may see its fill change.
		for _, u := range nb {
			dirty[u] = true
			for _, w := range g[u] {
				dirty[w] = true
			}
		}
		for i := range dirty {
			if dirty[i] {
				dirty[i] = false
				if !gone[i] {
					fill[i] = fillOf(i)
				}
			}
		}
	}
	return order
}

// minimumDegree returns a minimum-degree elimination order of the graph
// adj (ties to the lowest index), eliminating on the explicit graph.
func minimumDegree(adj [][]int32) []int32 {
	n := len(adj)
	g := make([][]int32, n)
	for i := range adj {
		g[i] = append([]int32(nil), adj[i]...)
	}
	gone := make([]bool, n)
	mark := make([]int32, n)
	for i := range mark {
		mark[i] = -1
	}
	tag := int32(0)
	order := make([]int32, 0, n)
	for step := 0; step < n; step++ {
		p, best := -1, math.MaxInt
		for i := 0; i < n; i++ {
			if !gone[i] && len(g[i]) < best {
				p, best = i, len(g[i])
			}
		}
		order = append(order, int32(p))
		eliminateVertex(g, gone, mark, &tag, p)
	}
	return order
}

// eliminateVertex removes vertex p from the elimination graph g, joining
// its neighbours into a clique: g[u] ← (g[u] ∪ g[p]) \ {u, p} for every
// neighbour u, keeping only live vertices. mark and *tag are the callers'
// scratch (a fresh tag per neighbour, so that one neighbour's marks do not
// hide vertices from the next).
func eliminateVertex(g [][]int32, gone []bool, mark []int32, tag *int32, p int) {
	gone[p] = true
	nb := g[p]
	for _, u := range nb {
		*tag++
		t := *tag
		mark[u] = t
		merged := g[u][:0]
		for _, w := range g[u] {
			if !gone[w] && mark[w] != t {
				mark[w] = t
				merged = append(merged, w)
			}
		}
		for _, w := range nb {
			if !gone[w] && mark[w] != t {
				mark[w] = t
				merged = append(merged, w)
			}
		}
		g[u] = merged
	}
	g[p] = nil
}

// factor factors M = I − c·J, J given by its values jv on the pattern.
func (s *sparseLU) factor(c float64, jv []float64) error {
	clear(s.val)
	if len(s.val) > 0 {
		vp := &s.val[0]
		jmap := s.jmap[:len(jv)]
		for q, v := range jv {
			*f64p(vp, jmap[q]) = -c * v
		}
		for _, d := range s.jdiag {
			*f64p(vp, d) += 1
		}
	}
	s.usingLU = false
	if err := s.eliminate(); err != nil {
		return s.factorDense(c, jv)
	}
	return nil
}

// eliminate factors val in place, row by row (up-looking): every
// multiplier l_ik (in column order) subtracts l_ik times row k's U part
// from row i at the positions upd lists.
func (s *sparseLU) eliminate() error {
	n := s.n
	if n == 0 {
		return nil
	}
	li, val, lp, dpos := s.li, s.val[:len(s.li)], s.lp[:n+1], s.dpos[:n]
	inv := s.invDiag[:n]
	vp, up, ip := &val[0], &s.upd[0], &inv[0]
	t := int32(0)
	for i := range n {
		lo, hi, d := lp[i], lp[i+1], dpos[i]
		scale := 0.0
		for _, v := range val[lo:hi] {
			if v > scale {
				scale = v
			} else if -v > scale {
				scale = -v
			}
		}
		for p := lo; p < d; p++ {
			k := li[p]
			l := f64(vp, p) * f64(ip, k)
			*f64p(vp, p) = l
			ud, uh := dpos[k]+1, lp[k+1]
			if l == 0 {
				t += uh - ud
				continue
			}
			for q := ud; q < uh; q++ {
				*f64p(vp, i32(up, t)) -= l * f64(vp, q)
				t++
			}
		}
		piv := val[d]
		if !(math.Abs(piv) > 1e-12*scale) || math.IsInf(piv, 0) {
			return errSingular
		}
		inv[i] = 1 / piv
	}
	return nil
}

func (s *sparseLU) factorDense(c float64, jv []float64) error {
	n := s.n
	if s.denseM == nil {
		s.denseM = mat.NewDense(n, n, nil)
		s.dense = &mat.LU{}
	}
	s.denseM.Zero()
	for o := 0; o < n; o++ {
		s.denseM.Set(o, o, 1)
		for q := s.jp0[o]; q < s.jp0[o+1]; q++ {
			j := int(s.ji0[q])
			s.denseM.Set(o, j, s.denseM.At(o, j)-c*jv[q])
		}
	}
	s.dense.Factorize(s.denseM)
	if c := s.dense.Cond(); math.IsInf(c, 0) || math.IsNaN(c) {
		return errSingular
	}
	s.usingLU = true
	return nil
}

// solve overwrites b with M⁻¹b.
func (s *sparseLU) solve(b []float64) {
	if s.usingLU {
		v := mat.NewVecDense(s.n, b)
		if err := s.dense.SolveVecTo(v, false, v); err != nil {
			for i := range b {
				b[i] = math.NaN()
			}
		}
		return
	}
	// Forward with the gather of b, backward with the scatter into b. The
	// rows are short (a few entries), so the loops run over the value
	// positions directly, without per-row slices; the indices come from
	// analyse (see unchecked.go).
	n := s.n
	if n == 0 {
		return
	}
	luForward(s.x[:n], b, s.perm[:n], s.lp[:n+1], s.dpos[:n], &s.val[0], &s.li[0])
	luBackward(s.x[:n], b, s.perm[:n], s.invDiag[:n], s.lp[:n+1], s.dpos[:n], &s.val[0], &s.li[0])
}

// luForward is solve's forward substitution: x ← L⁻¹·(b permuted). Its
// own function (as luBackward) so that the compiler keeps the loop's
// values in registers; inlined, the inner loops reloaded their bounds and
// a spilled pointer every iteration.
//
//go:noinline
func luForward(x, b []float64, perm, lp, dpos []int32, vp *float64, lip *int32) {
	xp := &x[0]
	perm, lp, dpos = perm[:len(x)], lp[:len(x)+1], dpos[:len(x)]
	for i := range x {
		v := b[perm[i]]
		lo, hi := lp[i], dpos[i]
		for q := lo; q < hi; q++ {
			v -= f64(vp, q) * f64(xp, i32(lip, q))
		}
		x[i] = v
	}
}

// luBackward is solve's backward substitution with the scatter into b.
//
//go:noinline
func luBackward(x, b []float64, perm []int32, inv []float64, lp, dpos []int32, vp *float64, lip *int32) {
	n := len(x)
	xp := &x[0]
	perm, inv, lp, dpos = perm[:n], inv[:n], lp[:n+1], dpos[:n]
	for i := n - 1; i >= 0; i-- {
		v := x[i]
		lo, hi := dpos[i]+1, lp[i+1]
		for q := lo; q < hi; q++ {
			v -= f64(vp, q) * f64(xp, i32(lip, q))
		}
		v *= inv[i]
		x[i] = v
		b[perm[i]] = v
	}
}
