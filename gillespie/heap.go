package gillespie

import "math"

// clockHeap is an indexed binary min-heap of event times: slot s has time
// t[s]; the earliest slot is top(). Times may be +Inf. Ties go to the
// lower slot, so the order of events never depends on anything but times.
//
// Only the slots with finite times are in the heap: most of the adaptive
// engine's unit slots are +Inf (units not leaping), and keeping them in
// made every leap's start and end a sift through the whole depth of a
// heap of all the units, a cache line per level (260 k slots on the
// 864-voxel dendrite).
type clockHeap struct {
	t     []float64 // time of each slot
	heap  []node    // the slots with finite times
	where []int32   // position of each slot in heap, −1 when not in it
}

type node struct {
	t    float64
	slot int32
}

func newClockHeap(n int) *clockHeap {
	h := &clockHeap{t: make([]float64, n), heap: make([]node, 0, n), where: make([]int32, n)}
	for i := range h.t {
		h.t[i] = math.Inf(1)
		h.where[i] = -1
	}
	return h
}

// top returns the earliest slot, the lowest of the earliest on a tie; when
// every time is +Inf, slot 0.
func (h *clockHeap) top() int32 {
	if len(h.heap) == 0 {
		return 0
	}
	return h.heap[0].slot
}

func before(a, b node) bool { return a.t < b.t || (a.t == b.t && a.slot < b.slot) }

// set changes slot s's time and restores the heap.
func (h *clockHeap) set(s int32, t float64) {
	h.t[s] = t
	i := h.where[s]
	if math.IsInf(t, 1) {
		if i < 0 {
			return
		}
		// take s out: the last node fills its place
		h.where[s] = -1
		last := h.heap[len(h.heap)-1]
		h.heap = h.heap[:len(h.heap)-1]
		if int(i) < len(h.heap) {
			h.place(i, last)
		}
		return
	}
	if i < 0 {
		i = int32(len(h.heap))
		h.heap = append(h.heap, node{})
	}
	h.place(i, node{t, s})
}

// place puts nd at position i, which is free, and moves it up or down
// to where it belongs.
func (h *clockHeap) place(i int32, nd node) {
	heap := h.heap
	// sift up
	for i > 0 {
		p := (i - 1) >> 1
		if !before(nd, heap[p]) {
			break
		}
		heap[i] = heap[p]
		h.where[heap[i].slot] = i
		i = p
	}
	// sift down
	n := int32(len(heap))
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && before(heap[r], heap[l]) {
			m = r
		}
		if !before(heap[m], nd) {
			break
		}
		heap[i] = heap[m]
		h.where[heap[i].slot] = i
		i = m
	}
	heap[i] = nd
	h.where[nd.slot] = i
}

// clockTree is a tournament tree over a fixed set of slots (the
// next-subvolume method's voxel clocks): every internal node holds the
// slot that wins its subtree, the earliest time, the lower slot on a
// tie; the root's is top(). A change of one slot replays the matches on
// its path to the root: log₂ n comparisons of two siblings, none of the
// heap's sifting or position bookkeeping. Every slot is in the tree, so
// it suits clocks that are finite most of the time (a voxel's), not the
// unit clocks that are +Inf but for a few (clockHeap).
type clockTree struct {
	t []float64 // time of each slot (padded to a power of two with +Inf)
	// Node k (1 ≤ k < len(t); the leaves at len(t)+s) holds the slot that
	// wins below it, win[k], and that slot's time as an integer that
	// orders as the times do, key[k] (timeKey), so that a match is one
	// integer comparison and conditional moves, and a level loads only
	// the sibling of the path, which no earlier level writes: the matches
	// do not wait on each other's loads.
	key []uint64
	win []int32
}

func newClockTree(n int) *clockTree {
	size := int32(1)
	for int(size) < n {
		size *= 2
	}
	c := &clockTree{t: make([]float64, size), key: make([]uint64, 2*size), win: make([]int32, 2*size)}
	inf := timeKey(math.Inf(1))
	for i := range c.t {
		c.t[i] = math.Inf(1)
		c.key[size+int32(i)], c.win[size+int32(i)] = inf, int32(i)
	}
	for k := size - 1; k >= 1; k-- {
		l, r := 2*k, 2*k+1
		c.key[k], c.win[k] = c.key[l], c.win[l]
		if c.key[r] < c.key[l] {
			c.key[k], c.win[k] = c.key[r], c.win[r]
		}
	}
	return c
}

// top returns the earliest slot, the lowest of the earliest on a tie; when
// every time is +Inf, slot 0.
func (c *clockTree) top() int32 {
	if len(c.t) == 1 {
		return 0
	}
	return c.win[1]
}

// timeKey maps a time to an integer of the same order (−0 just before
// +0): a non-negative time's IEEE bits with the sign bit set, a negative
// one's bits inverted.
func timeKey(t float64) uint64 {
	b := math.Float64bits(t)
	return b ^ (uint64(int64(b)>>63) | 1<<63)
}

// set changes slot s's time and replays the matches above it: at
// each level the path's winner so far meets the sibling's, and the lower
// key wins, the left one (lower slots) on a tie.
func (c *clockTree) set(s int32, t float64) {
	c.t[s] = t
	k := s + int32(len(c.t))
	bk, bs := timeKey(t), s
	key, win := c.key[:len(c.win)], c.win
	key[k], win[k] = bk, bs
	for k > 1 {
		sk, ss := key[k^1], win[k^1]
		// the sibling wins when it is earlier, or as early and on the
		// left (k odd): sk < bk+1 is sk ≤ bk (a number's key is below
		// 2⁶⁴−1: no overflow)
		if sk < bk+uint64(k&1) {
			bk, bs = sk, ss
		}
		k >>= 1
		key[k], win[k] = bk, bs
	}
}
