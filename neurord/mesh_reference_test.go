package neurord

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/internal/testenv"
	"github.com/spinerd/spinerd/mesh"
)

func loadMesh(t *testing.T, path string) *mesh.Mesh {
	t.Helper()
	m, _, err := Load(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	msh, _, err := mesh.Discretize(&m.Morphology, m.Discretization)
	if err != nil {
		t.Fatalf("mesh %s: %v", path, err)
	}
	return msh
}

func relClose(a, b, rel, abs float64) bool {
	return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b))+abs
}

// TestMeshMatchesJCP2016 compares spinerd's mesh with NeuroRD 3.0's grid,
// neighbour and coupling tables stored in the JCP 2016 example outputs
// (testdata/reference/jcp2016/*/*.mesh.tsv, copied from
// ../shared/reference/jcp2016, full precision; one run of each of the 5
// examples, every run with -tags long): same voxels in the same order,
// volumes and couplings within 1e-9 relative.
func TestMeshMatchesJCP2016(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testenv.Testdata(t), "reference", "jcp2016", "*", "*.mesh.tsv"))
	if len(files) < 5 {
		t.Fatalf("%d jcp2016 mesh references found, want one per example (5)", len(files))
	}
	checkMeshJCP2016(t, files)
}

// checkMeshJCP2016 compares each mesh table with the mesh of the model
// file beside it (same name, .xml).
func checkMeshJCP2016(t *testing.T, files []string) {
	for _, ref := range files {
		t.Run(filepath.Base(filepath.Dir(ref))+"/"+filepath.Base(ref), func(t *testing.T) {
			msh := loadMesh(t, strings.TrimSuffix(ref, ".mesh.tsv")+".xml")
			f, err := os.Open(ref)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			sc.Scan()
			col := map[string]int{}
			for i, h := range strings.Split(sc.Text(), "\t") {
				col[h] = i
			}
			n := 0
			for sc.Scan() {
				row := strings.Split(sc.Text(), "\t")
				num := func(name string) float64 {
					v, err := strconv.ParseFloat(row[col[name]], 64)
					if err != nil {
						t.Fatalf("%s: column %s: %v", ref, name, err)
					}
					return v
				}
				if n >= len(msh.Voxels) {
					t.Fatalf("spinerd has %d voxels, reference has more", len(msh.Voxels))
				}
				v := &msh.Voxels[n]
				if !relClose(v.VolumeUm3, num("volume"), 1e-9, 0) {
					t.Errorf("voxel %d: volume %v, NeuroRD %v", n, v.VolumeUm3, num("volume"))
				}
				if !relClose(v.DeltaZUm, num("deltaZ"), 1e-9, 0) {
					t.Errorf("voxel %d: deltaZ %v, NeuroRD %v", n, v.DeltaZUm, num("deltaZ"))
				}
				if got, want := v.Region, row[col["region"]]; got != want {
					t.Errorf("voxel %d: region %q, NeuroRD %q", n, got, want)
				}
				wantLabel := row[col["label"]]
				if wantLabel == fmt.Sprintf("element%d", n) {
					wantLabel = ""
				}
				if v.Label != wantLabel {
					t.Errorf("voxel %d: label %q, NeuroRD %q", n, v.Label, wantLabel)
				}
				if v.Type() != row[col["type"]] {
					t.Errorf("voxel %d: type %q, NeuroRD %q", n, v.Type(), row[col["type"]])
				}
				for k := 0; k < 4; k++ {
					for a, axis := range []string{"x", "y", "z"} {
						want := num(fmt.Sprintf("%s%d", axis, k))
						got := v.Corners[k][a]
						if k == 3 && axis == "z" {
							got += v.DeltaZUm // NeuroRD's HDF5 grid adds deltaZ to z3
						}
						if !relClose(got, want, 1e-9, 1e-12) {
							t.Errorf("voxel %d: corner %s%d %v, NeuroRD %v", n, axis, k, got, want)
						}
					}
				}
				var nb, cp []string
				if s := row[col["neighbors"]]; s != "" {
					nb = strings.Split(s, ",")
					cp = strings.Split(row[col["couplings"]], ",")
				}
				if len(nb) != len(v.Neighbours) {
					t.Errorf("voxel %d: %d neighbours %v, NeuroRD %d %v", n, len(v.Neighbours), v.Neighbours, len(nb), nb)
				} else {
					for k := range nb {
						j, _ := strconv.Atoi(nb[k])
						g, _ := strconv.ParseFloat(cp[k], 64)
						if v.Neighbours[k].Voxel != j || !relClose(v.Neighbours[k].CouplingUm, g, 1e-9, 0) {
							t.Errorf("voxel %d: neighbour %d is %d (G %v), NeuroRD %d (G %v)", n, k, v.Neighbours[k].Voxel, v.Neighbours[k].CouplingUm, j, g)
						}
					}
				}
				n++
			}
			if n != len(msh.Voxels) {
				t.Errorf("spinerd has %d voxels, NeuroRD %d", len(msh.Voxels), n)
			}
		})
	}
}

// TestMeshMatchesNeuroRD33 compares corners, volumes and deltaZ with the
// mesh files NeuroRD 3.3.0 wrote for the reference runs
// (testdata/reference/neurord-3.3/*/outputs/*-mesh.txt.out, copied from
// ../shared/reference/neurord-3.3 for one run of every set, every run with
// -tags long; printed with 5 significant digits, hence 1e-4 relative).
func TestMeshMatchesNeuroRD33(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testenv.Testdata(t), "reference", "neurord-3.3", "*", "outputs", "*-mesh.txt.out"))
	if len(files) < 8 {
		t.Fatalf("%d NeuroRD 3.3 mesh references found, want one per reference set (8)", len(files))
	}
	checkMeshNeuroRD33(t, files)
}

// checkMeshNeuroRD33 compares each mesh file with the mesh of the run's
// input file (../inputs/BASE.xml).
func checkMeshNeuroRD33(t *testing.T, files []string) {
	for _, ref := range files {
		base := strings.TrimSuffix(filepath.Base(ref), "-mesh.txt.out")
		model := filepath.Join(filepath.Dir(filepath.Dir(ref)), "inputs", base+".xml")
		t.Run(base, func(t *testing.T) {
			msh := loadMesh(t, model)
			data, err := os.ReadFile(ref)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(data)), "\n")[1:]
			if len(lines) != len(msh.Voxels) {
				t.Fatalf("spinerd has %d voxels, NeuroRD %d", len(msh.Voxels), len(lines))
			}
			scale := 0.0
			for _, v := range msh.Voxels {
				for _, c := range v.Corners {
					for _, x := range c {
						scale = math.Max(scale, math.Abs(x))
					}
				}
			}
			for i, line := range lines {
				f := strings.Fields(line)
				if len(f) != 15 || f[0] != strconv.Itoa(i) {
					t.Fatalf("bad reference line %q", line)
				}
				v := &msh.Voxels[i]
				var got []float64
				for _, c := range v.Corners {
					got = append(got, c[:]...)
				}
				got = append(got, v.VolumeUm3, v.DeltaZUm)
				for k, s := range f[1:] {
					want, _ := strconv.ParseFloat(s, 64)
					// 5 printed digits; coordinates that are zero up to
					// rounding print as ±1e-16 and are compared absolutely.
					if !relClose(got[k], want, 1e-4, 1e-12*scale) {
						t.Errorf("voxel %d: column %d is %v, NeuroRD %s", i, k+1, got[k], s)
					}
				}
			}
		})
	}
}
