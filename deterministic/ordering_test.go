package deterministic

import "testing"

// eliminationFill counts the edges that eliminating the vertices of adj
// in the given order adds (the fill of a Cholesky-like factorisation),
// by explicit clique elimination on a dense adjacency matrix.
func eliminationFill(adj [][]int32, order []int32) int {
	n := len(adj)
	a := make([][]bool, n)
	for i := range a {
		a[i] = make([]bool, n)
		for _, j := range adj[i] {
			a[i][j] = true
		}
	}
	gone := make([]bool, n)
	fill := 0
	for _, p := range order {
		gone[p] = true
		var nb []int
		for j := range n {
			if a[p][j] && !gone[j] {
				nb = append(nb, j)
			}
		}
		for x, u := range nb {
			for _, w := range nb[x+1:] {
				if !a[u][w] {
					a[u][w], a[w][u] = true, true
					fill++
				}
			}
		}
	}
	return fill
}

// TestMinimumDegreeOrder checks the minimum-degree order (used for large
// spatial systems) against minimum fill on a 20×20 grid, the shape of a
// mesh's diffusion coupling: its fill must be within 1.5× of minimum
// fill's and a permutation of all vertices. (An elimination graph that
// lost edges, as one with a shared mark per step did, gave orders with
// many times the fill.)
func TestMinimumDegreeOrder(t *testing.T) {
	const k = 20
	adj := make([][]int32, k*k)
	for r := range k {
		for c := range k {
			i := r*k + c
			if c+1 < k {
				adj[i] = append(adj[i], int32(i+1))
				adj[i+1] = append(adj[i+1], int32(i))
			}
			if r+1 < k {
				adj[i] = append(adj[i], int32(i+k))
				adj[i+k] = append(adj[i+k], int32(i))
			}
		}
	}
	md, mf := minimumDegree(adj), minimumFill(adj)
	seen := make([]bool, len(adj))
	for _, v := range md {
		if seen[v] {
			t.Fatalf("vertex %d ordered twice", v)
		}
		seen[v] = true
	}
	if len(md) != len(adj) {
		t.Fatalf("%d of %d vertices ordered", len(md), len(adj))
	}
	fd, ff := eliminationFill(adj, md), eliminationFill(adj, mf)
	t.Logf("fill: minimum degree %d, minimum fill %d", fd, ff)
	if float64(fd) > 1.5*float64(ff) {
		t.Errorf("minimum degree fills %d edges, minimum fill %d: more than 1.5×", fd, ff)
	}
}
