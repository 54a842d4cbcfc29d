package deterministic

import "unsafe"

// The innermost loops of the right-hand side, the LU factorisation and
// the LU solve index vectors through index vectors (x[li[q]]), which the
// compiler cannot prove in range, so every access carried a bounds check:
// those checks were 17 % of an evaluation's time. These accessors skip
// them. They are used only with index vectors this package builds and
// checks once (checkIndices) when it builds them: every index is in
// range for the slice it indexes, and slices are never resized after.

// f64 returns p[i] for the slice whose first element is p.
func f64(p *float64, i int32) float64 {
	return *(*float64)(unsafe.Add(unsafe.Pointer(p), uintptr(i)*8))
}

// f64p returns &p[i] for the slice whose first element is p.
func f64p(p *float64, i int32) *float64 {
	return (*float64)(unsafe.Add(unsafe.Pointer(p), uintptr(i)*8))
}

// i32 returns p[i] for the slice whose first element is p.
func i32(p *int32, i int32) int32 {
	return *(*int32)(unsafe.Add(unsafe.Pointer(p), uintptr(i)*4))
}

// checkIndices panics unless every index in idx is in [0, n): a broken
// invariant of this package, never a user error.
func checkIndices(what string, idx []int32, n int) {
	for _, i := range idx {
		if i < 0 || int(i) >= n {
			panic("deterministic: " + what + " index out of range")
		}
	}
}
