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
