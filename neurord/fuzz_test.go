package neurord

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/internal/testenv"
	"github.com/spinerd/spinerd/mesh"
	"github.com/spinerd/spinerd/model"
)

// FuzzLoad feeds mutated model files to the reader and compiler: they must
// return errors, never panic or hang. The seed corpus is every model in
// testdata, so `go test` replays all of them as a regression test;
// `go test -fuzz FuzzLoad ./neurord` explores further. Includes resolve in
// the seed's own folder (dir selects it among the corpus folders).
func FuzzLoad(f *testing.F) {
	files := modelFiles(f, testenv.Testdata(f), 30)
	dirs := map[string]bool{}
	var dirList []string
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		d := filepath.Dir(p)
		if !dirs[d] {
			dirs[d] = true
			dirList = append(dirList, d)
		}
		idx := 0
		for i, x := range dirList {
			if x == d {
				idx = i
			}
		}
		f.Add(data, uint8(idx))
	}
	f.Add([]byte(`<SDRun><runtime>1</runtime></SDRun>`), uint8(0))
	f.Add([]byte(`<?xml version="1.0"?><SDRun xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="nope.xml"/></SDRun>`), uint8(0))
	// The hostile shapes of TestHostileShapes, small enough for a corpus.
	x := `<SDRun xmlns:xi="http://www.w3.org/2001/XInclude">`
	f.Add([]byte(x+strings.Repeat("<a>", 5000)+strings.Repeat("</a>", 5000)+"</SDRun>"), uint8(0))
	f.Add([]byte(x+strings.Repeat("<a/>", 50000)+"</SDRun>"), uint8(0))
	f.Add([]byte(x+`<xi:include href="/dev/zero"/></SDRun>`), uint8(0))
	f.Add([]byte(x+`<xi:include href="/dev/urandom" parse="text"/></SDRun>`), uint8(0))
	f.Add([]byte(x+`<xi:include href="fuzz.xml"/></SDRun>`), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, dir uint8) {
		d := dirList[int(dir)%len(dirList)]
		var m *model.Model
		var err error
		// Reading is linear in the input: never more than ~100 bytes
		// allocated per byte read (the model's own files included), so
		// no input can exhaust memory.
		mem := allocated(func() { m, _, err = LoadBytes(data, filepath.Join(d, "fuzz.xml")) })
		if limit := uint64(100*len(data)) + 64<<20; mem > limit {
			t.Fatalf("reading %d bytes allocated %d MB", len(data), mem>>20)
		}
		if m == nil {
			if err == nil {
				t.Fatal("no model and no error")
			}
			return
		}
		// Keep each input fast: skip compiling models whose mesh or run
		// is large (the size limits themselves are tested elsewhere).
		msh, _, err := mesh.Discretize(&m.Morphology, m.Discretization)
		if err != nil || len(msh.Voxels) > 20000 || m.Settings.RuntimeMs > 1e6 {
			return
		}
		sys, warns, err := model.Compile(m, model.Options{})
		if err != nil || sys == nil {
			return
		}
		if err := model.Describe(io.Discard, sys, warns, 1); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzOutReader reads altered NeuroRD main outputs (O.out) and mesh files
// (O-mesh.txt.out): errors, never a panic, a hang or an allocation out of
// proportion to the input. The seeds are small files of both kinds, and
// block headers that claim more voxels than the grid has.
func FuzzOutReader(f *testing.F) {
	out := "cctdif2d\nvolumeGrid 2\n(0 0 0) (1 0 0) (1 1 0) (0 1 0)\n(1 0 0) (2 0 0) (2 1 0) (1 1 0)\n" +
		"gridConcentrations 2 2 0.0 A B \n3 4\n5 6\ngridConcentrations 2 2 2.0 A B \n3 5\n5 7\n"
	mesh := "element_index upper_left_x upper_left_y upper_left_z lower_left_x lower_left_y lower_left_z lower_right_x lower_right_y lower_right_z upper_right_x upper_right_y upper_right_z volume deltaZ\n" +
		"0 0 1 0 0 0 0 1 0 0 1 1 0 0.5 0.5\n"
	f.Add([]byte(out))
	f.Add([]byte(mesh))
	f.Add([]byte(strings.Replace(out, "gridConcentrations 2 2 2.0", "gridConcentrations 2000000000 2 2.0", 1)))
	f.Add([]byte(strings.Replace(out, "gridConcentrations 2 2 0.0", "gridConcentrations -1 2 0.0", 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		ReadMeshText(strings.NewReader(string(data)))
		r, err := NewOutReader(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		for {
			fr, err := r.Next()
			if err != nil {
				return
			}
			if len(fr.Counts) != r.Voxels {
				t.Fatalf("a frame of %d voxels from a grid of %d", len(fr.Counts), r.Voxels)
			}
		}
	})
}
