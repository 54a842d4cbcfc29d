package deterministic

import (
	"encoding/binary"
	"sync"
)

// Cache keeps what a run derives from the structure of its equations
// alone — the Jacobian's sparsity pattern and the sparse LU's fill-reducing
// ordering and symbolic factorisation — so that runs of systems with the
// same reactions, voxels and stimulus targets (one model with other
// initial amounts, rate values or input amplitudes, as the evaluations of
// a fit) compute it once. A system whose rate constants set channels to
// zero has another structure and another entry. Safe for concurrent use;
// the zero value is ready, and a nil *Cache caches nothing.
type Cache struct {
	mu sync.Mutex
	m  map[string]*structure
}

type structure struct {
	jp, ji, jpos, jOff []int32
	hpos               [][2]int32
	diag               []int32
	sym                *luSymbolic
}

// key encodes everything pattern() reads: the unknowns, each term's
// reactants and changed unknowns in order, and the hops.
func structureKey(p *problem) string {
	n := 4 * (1 + len(p.rOff) + len(p.react) + len(p.cOff) + len(p.chg) + 2 + len(p.hopSrc) + len(p.hopDst))
	b := make([]byte, 0, n)
	put := func(xs ...int32) {
		for _, x := range xs {
			b = binary.LittleEndian.AppendUint32(b, uint32(x))
		}
	}
	put(int32(p.n))
	put(p.rOff...)
	put(p.react...)
	put(p.cOff...)
	put(p.chg...)
	put(int32(len(p.hopSrc)), -1)
	put(p.hopSrc...)
	put(p.hopDst...)
	return string(b)
}

func (c *Cache) get(p *problem) *structure {
	if c == nil {
		return nil
	}
	k := structureKey(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *Cache) put(p *problem) {
	if c == nil {
		return
	}
	k := structureKey(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*structure{}
	}
	c.m[k] = &structure{jp: p.jp, ji: p.ji, jpos: p.jpos, jOff: p.jOff, hpos: p.hpos, diag: p.diag, sym: p.sym}
}
