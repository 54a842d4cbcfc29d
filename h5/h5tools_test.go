//go:build h5tools

package h5_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/h5"
	"github.com/spinerd/spinerd/internal/h5check"
	"github.com/spinerd/spinerd/internal/testenv"
)

// These tests need h5dump and h5py (apt-get install hdf5-tools
// python3-h5py) and ../shared; run them with -tags h5tools.

// TestReaderMatchesH5py: for every dataset of the four NeuroRD fixtures
// and of a file this package wrote, the reader returns the bytes libhdf5
// (through h5py) returns, with the same shape, chunking and filters.
func TestReaderMatchesH5py(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testenv.Shared(t), "reference/neurord-3.3-h5/*.h5"))
	if err != nil || len(files) != 4 {
		t.Fatalf("fixtures: %v %v", files, err)
	}
	own := filepath.Join(t.TempDir(), "own.h5")
	h5.Sample(t, own, 8*64*2+13, 300)
	for _, path := range append(files, own) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			py := h5check.H5py(t, path, true)
			if n := h5check.SameBytes(t, h5check.ReaderOf(t, path), py); n < 7 {
				t.Errorf("only %d datasets", n)
			}
			f, err := h5.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			root, _ := f.Root()
			for name, d := range py {
				if d.Kind != "dataset" {
					continue
				}
				ds, err := root.Dataset(name)
				if err != nil {
					t.Fatal(err)
				}
				var chunk []int64
				for _, c := range ds.Chunk {
					chunk = append(chunk, int64(c))
				}
				if len(chunk)+len(d.Chunks) > 0 && !equalInts(chunk, d.Chunks) {
					t.Errorf("%s: chunks %v, h5py %v", name, chunk, d.Chunks)
				}
			}
		})
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestLibhdf5ExtendsOurFile: libhdf5 (through h5py) can modify a file
// this package wrote, which it can only do if every B-tree, heap and
// header is as it expects: it adds 40 groups to a 300-member group,
// extends a chunked dataset and adds attributes; h5dump then reads all.
func TestLibhdf5ExtendsOurFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "own.h5")
	h5.Sample(t, path, 1037, 300)
	script := `
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "a") as f:
    for i in range(40):
        f["many"].create_group("x%d" % i)
    d = f["out/population"]
    n = d.shape[0]
    d.resize(n + 100, axis=0)
    d[n:] = 5
    f["model"].attrs["new"] = "hello"
    f["model/species"].attrs["k"] = 3
with h5py.File(sys.argv[1], "r") as f:
    p = f["out/population"]
    assert len(f["many"]) == 340
    assert p.shape == (1137, 2, 3)
    assert (p[1037:] == 5).all()
    assert (p[:1037, 0, 0] == np.arange(1037)).all()
print("ok")
`
	out, err := exec.Command(h5check.Python, "-c", script, path).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("h5py: %v\n%s", err, out)
	}
	dump := h5check.H5dump(t, path)
	if !strings.Contains(dump, `GROUP "x39"`) || !strings.Contains(dump, `"hello"`) {
		t.Error("h5dump does not show the additions")
	}
	// and this package reads libhdf5's modifications
	f, err := h5.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	root, _ := f.Root()
	g, err := root.Group("many")
	if err != nil {
		t.Fatal(err)
	}
	if names, err := g.Names(); err != nil || len(names) != 340 {
		t.Errorf("%d members after libhdf5 added 40, %v", len(names), err)
	}
	d, err := root.Dataset("out/population")
	if err != nil {
		t.Fatal(err)
	}
	v, err := d.ReadInt64s()
	if err != nil || len(v) != 1137*6 || v[1100*6] != 5 || v[1000*6] != 1000 {
		t.Errorf("extended population: %d values, %v", len(v), err)
	}
}

// TestReadsLatestFormat: files h5py writes with libver="latest"
// (superblock 3, version 2 object headers, link messages, version 3
// attributes and dataspaces) read; their chunked datasets use indexes
// this package does not read, which must give an error, not a panic.
func TestReadsLatestFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "latest.h5")
	script := `
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w", libver="latest") as f:
    g = f.create_group("model")
    g.attrs["TITLE"] = np.bytes_("model parameters")
    g.attrs["n"] = np.int64(7)
    g.create_dataset("species", data=np.array([b"Ca", b"CaOut"], dtype="S21"))
    g.create_dataset("rates", data=np.array([0.5, 1e-3]))
    g.create_dataset("counts", data=np.arange(12, dtype="<i4").reshape(3, 4))
    f.create_dataset("chunked", data=np.arange(100, dtype="<i4"), chunks=(10,), compression="gzip", maxshape=(None,))
`
	if out, err := exec.Command(h5check.Python, "-c", script, path).CombinedOutput(); err != nil {
		t.Fatalf("h5py: %v\n%s", err, out)
	}
	f, err := h5.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	root, err := f.Root()
	if err != nil {
		t.Fatal(err)
	}
	g, err := root.Group("model")
	if err != nil {
		t.Fatal(err)
	}
	if a, err := g.Attr("TITLE"); err != nil {
		t.Error(err)
	} else if s, err := a.String(); s != "model parameters" || err != nil {
		t.Errorf("TITLE %q %v", s, err)
	}
	if a, err := g.Attr("n"); err != nil {
		t.Error(err)
	} else if v, _ := a.Int64(); v != 7 {
		t.Errorf("n = %d", v)
	}
	d, err := g.Dataset("species")
	if err != nil {
		t.Fatal(err)
	}
	if ss, err := d.ReadStrings(); err != nil || len(ss) != 2 || ss[1] != "CaOut" {
		t.Errorf("species %q %v", ss, err)
	}
	d, _ = g.Dataset("counts")
	if v, err := d.ReadInt64s(); err != nil || len(v) != 12 || v[11] != 11 {
		t.Errorf("counts %v %v", v, err)
	}
	d, _ = g.Dataset("rates")
	if v, err := d.ReadFloat64s(); err != nil || len(v) != 2 || v[1] != 1e-3 {
		t.Errorf("rates %v %v", v, err)
	}
	if _, err := root.Dataset("chunked"); err == nil {
		t.Error("a version 4 chunk index was accepted")
	} else {
		t.Logf("chunked (libver latest): %v", err)
	}
}
