package gillespie

import "math"

// clockHeap is an indexed binary min-heap of event times: slot s has time
// t[s]; the earliest slot is top(). Times may be +Inf. Ties go to the
// lower slot, so the order of events never depends on anything but times.
type clockHeap struct {
	t     []float64 // time of each slot
	heap  []node
	where []int32 // position of each slot in heap
}

type node struct {
	t    float64
	slot int32
}

func newClockHeap(n int) *clockHeap {
	h := &clockHeap{t: make([]float64, n), heap: make([]node, n), where: make([]int32, n)}
	for i := range h.t {
		h.t[i] = math.Inf(1)
		h.heap[i] = node{math.Inf(1), int32(i)}
		h.where[i] = int32(i)
	}
	return h
}

func (h *clockHeap) top() int32 { return h.heap[0].slot }

func before(a, b node) bool { return a.t < b.t || (a.t == b.t && a.slot < b.slot) }

// set changes slot s's time and restores the heap.
func (h *clockHeap) set(s int32, t float64) {
	h.t[s] = t
	i := h.where[s]
	nd := node{t, s}
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
	h.where[s] = i
}
