package gillespie

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestClockHeap: after every set, top is the slot of the earliest time,
// the lowest slot on a tie and slot 0 when all are +Inf, over random sets
// of finite, tied and infinite times.
func TestClockHeap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 7, 64} {
		h := newClockHeap(n)
		for step := range 20000 {
			s := int32(rng.IntN(n))
			tm := math.Inf(1)
			if rng.IntN(3) > 0 {
				tm = float64(rng.IntN(20)) - 4 // ties are frequent; negative times too
			}
			h.set(s, tm)
			want := int32(0)
			for k := int32(1); k < int32(n); k++ {
				if h.t[k] < h.t[want] {
					want = k
				}
			}
			if got := h.top(); got != want || h.t[got] != h.t[want] {
				t.Fatalf("n=%d step %d: top %d (t %g), want %d (t %g)", n, step, got, h.t[got], want, h.t[want])
			}
			finite := 0
			for k := range n {
				if !math.IsInf(h.t[k], 1) {
					finite++
					if w := h.where[k]; w < 0 || h.heap[w].slot != int32(k) || h.heap[w].t != h.t[k] {
						t.Fatalf("n=%d step %d: slot %d misplaced", n, step, k)
					}
				} else if h.where[k] != -1 {
					t.Fatalf("n=%d step %d: +Inf slot %d in the heap", n, step, k)
				}
			}
			if finite != len(h.heap) {
				t.Fatalf("n=%d step %d: %d nodes for %d finite slots", n, step, len(h.heap), finite)
			}
		}
	}
}

// BenchmarkClockHeapLeaps: the adaptive engine's unit clocks, one slot per
// unit (260 k: the 864-voxel dendrite), a few thousand of them leaping at
// a time; each op starts one leap (+Inf → finite) and ends the earliest
// (finite → +Inf).
func BenchmarkClockHeapLeaps(b *testing.B) {
	const slots, leaping = 260000, 3000
	rng := rand.New(rand.NewPCG(3, 4))
	h := newClockHeap(slots)
	now := 0.0
	for range leaping {
		h.set(int32(rng.IntN(slots)), now+rng.ExpFloat64())
	}
	b.ResetTimer()
	for range b.N {
		s := h.top()
		now = h.t[s]
		h.set(s, math.Inf(1))
		h.set(int32(rng.IntN(slots)), now+rng.ExpFloat64())
	}
}

// BenchmarkClockHeapVoxels: the next-subvolume method's voxel clocks (108
// voxels: spine2020_dend); each op fires the earliest voxel and redraws
// its clock.
func BenchmarkClockHeapVoxels(b *testing.B) {
	const slots = 108
	rng := rand.New(rand.NewPCG(5, 6))
	h := newClockHeap(slots)
	for s := range slots {
		h.set(int32(s), rng.ExpFloat64()*slots)
	}
	b.ResetTimer()
	for range b.N {
		s := h.top()
		h.set(s, h.t[s]+rng.ExpFloat64()*slots)
	}
}

// TestClockTree: after every set, top is the slot of the earliest time,
// the lowest slot on a tie and slot 0 when all are +Inf (clockHeap's
// rule, so that the engines' order of events does not depend on which
// holds the voxel clocks), over random sets of finite, tied and infinite
// times, and the same slot as a clockHeap given the same sets.
func TestClockTree(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{1, 2, 3, 7, 64, 108} {
		c, h := newClockTree(n), newClockHeap(n)
		if got := c.top(); got != 0 {
			t.Fatalf("n=%d: top %d of an all-+Inf tree, want 0", n, got)
		}
		for step := range 20000 {
			s := int32(rng.IntN(n))
			tm := math.Inf(1)
			if rng.IntN(3) > 0 {
				tm = float64(rng.IntN(20)) - 4 // ties are frequent; the tree orders negative times too
			}
			c.set(s, tm)
			h.set(s, tm)
			want := int32(0)
			for k := int32(1); k < int32(n); k++ {
				if c.t[k] < c.t[want] {
					want = k
				}
			}
			if got := c.top(); got != want || got != h.top() {
				t.Fatalf("n=%d step %d: top %d (t %g), want %d (t %g), heap %d", n, step, got, c.t[got], want, c.t[want], h.top())
			}
		}
	}
}

// BenchmarkClockTreeVoxels: BenchmarkClockHeapVoxels with the tournament
// tree that holds the voxel clocks.
func BenchmarkClockTreeVoxels(b *testing.B) {
	const slots = 108
	rng := rand.New(rand.NewPCG(5, 6))
	c := newClockTree(slots)
	for s := range slots {
		c.set(int32(s), rng.ExpFloat64()*slots)
	}
	b.ResetTimer()
	for range b.N {
		s := c.top()
		c.set(s, c.t[s]+rng.ExpFloat64()*slots)
	}
}
