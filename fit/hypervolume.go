package fit

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Hypervolume returns the volume dominated by points and bounded by ref
// (minimisation): exact for two and three objectives, a Monte-Carlo
// estimate with 200,000 samples above (standard error ≤ 0.12 % of the
// box volume), in which case se is the estimate's standard error (0 when
// exact). Points not strictly better than ref in every objective add
// nothing.
func Hypervolume(points [][]float64, ref []float64) (hv, se float64) {
	var pts [][]float64
	for _, p := range points {
		ok := true
		for i := range ref {
			if !(p[i] < ref[i]) {
				ok = false
			}
		}
		if ok {
			pts = append(pts, p)
		}
	}
	if len(pts) == 0 {
		return 0, 0
	}
	switch len(ref) {
	case 1:
		best := math.Inf(1)
		for _, p := range pts {
			best = math.Min(best, p[0])
		}
		return ref[0] - best, 0
	case 2:
		return hv2(pts, ref), 0
	case 3:
		// Slice along the third objective.
		sorted := append([][]float64(nil), pts...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i][2] < sorted[j][2] })
		total := 0.0
		for k := range sorted {
			top := ref[2]
			if k+1 < len(sorted) {
				top = sorted[k+1][2]
			}
			if top > sorted[k][2] {
				total += hv2(sorted[:k+1], ref[:2]) * (top - sorted[k][2])
			}
		}
		return total, 0
	}
	lo := make([]float64, len(ref))
	for i := range lo {
		lo[i] = math.Inf(1)
		for _, p := range pts {
			lo[i] = math.Min(lo[i], p[i])
		}
	}
	box := 1.0
	for i := range ref {
		box *= ref[i] - lo[i]
	}
	const n = 200_000
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, len(ref))
	hit := 0
	for s := 0; s < n; s++ {
		for i := range x {
			x[i] = lo[i] + r.Float64()*(ref[i]-lo[i])
		}
		for _, p := range pts {
			dom := true
			for i := range x {
				if p[i] > x[i] {
					dom = false
					break
				}
			}
			if dom {
				hit++
				break
			}
		}
	}
	q := float64(hit) / n
	return box * q, box * math.Sqrt(q*(1-q)/n)
}

// hv2 is the exact two-objective hypervolume.
func hv2(pts [][]float64, ref []float64) float64 {
	s := append([][]float64(nil), pts...)
	sort.Slice(s, func(i, j int) bool {
		if s[i][0] != s[j][0] {
			return s[i][0] < s[j][0]
		}
		return s[i][1] < s[j][1]
	})
	total := 0.0
	prev := ref[1]
	for _, p := range s {
		if p[1] < prev {
			total += (ref[0] - p[0]) * (prev - p[1])
			prev = p[1]
		}
	}
	return total
}
