package deterministic

import (
	"errors"
	"testing"
)

// TestSizeError checks the guard on the sparse LU's size: a pattern
// whose factorisation needs more multiply-adds than the bound is refused
// with a SizeError (Integrate returns it) before the update positions are
// stored, and one within it is not. A dense 40×40 pattern needs
// about 40³/3 ≈ 2.1e4 multiply-adds: over a bound of
// 1e4, within the default MaxLUUpdates.
func TestSizeError(t *testing.T) {
	dense := func(n int) (jp, ji []int32) {
		jp = make([]int32, n+1)
		for i := range n {
			for j := range n {
				ji = append(ji, int32(j))
			}
			jp[i+1] = int32(len(ji))
		}
		return jp, ji
	}
	jp, ji := dense(40)
	sym := analyseUpTo(40, jp, ji, 1e4)
	var se *SizeError
	if !errors.As(sym.err, &se) {
		t.Fatalf("n = 40 dense, bound 1e4: err %v, want a *SizeError", sym.err)
	}
	if se.Updates <= 1e4 || se.Equations != 40 || len(sym.upd) != 0 {
		t.Errorf("n = 40 dense, bound 1e4: %+v, %d positions stored", se, len(sym.upd))
	}
	sym = analyse(40, jp, ji)
	if sym.err != nil {
		t.Fatalf("n = 40 dense: %v", sym.err)
	}
	if int64(len(sym.upd)) != se.Updates {
		t.Errorf("n = 40 dense: %d positions stored, %d counted", len(sym.upd), se.Updates)
	}
}
