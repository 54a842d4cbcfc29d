package output

import (
	"archive/zip"
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/internal/testmodel"
	"github.com/spinerd/spinerd/traj"
)

func TestParseVoxels(t *testing.T) {
	got, err := ParseVoxels("0, 3-5,9", 10)
	if err != nil || !slices.Equal(got, []int{0, 3, 4, 5, 9}) {
		t.Errorf("ParseVoxels = %v, %v", got, err)
	}
	// Past the mesh, repeated, or a range to the largest int (which
	// looped forever once).
	for _, bad := range []string{"a", "3-1", "-2", "1-x", "10", "2-10", "1,0-1", "0-9223372036854775807"} {
		if _, err := ParseVoxels(bad, 10); err == nil {
			t.Errorf("ParseVoxels(%q) accepted", bad)
		}
	}
}

// synthetic writes a 3-voxel, 2-species trajectory whose count of species
// s in voxel v at frame f is 100s + 10v + f.
func synthetic(t *testing.T) *traj.Reader {
	t.Helper()
	r, err := traj.Open(testmodel.SyntheticTrajectory(t, t.TempDir(), "s.traj", nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestExportTableSelections(t *testing.T) {
	r := synthetic(t)
	for _, c := range []struct {
		sel  Selection
		want string
	}{
		{Selection{Species: []string{"B"}, Voxels: []int{1}}, "time_ms,B\n0,110\n1,111\n2,112\n"},
		{Selection{Species: []string{"A"}, Sum: true}, "time_ms,A\n0,30\n1,33\n2,36\n"},
		{Selection{Species: []string{"A"}, Voxels: []int{0, 2}}, "time_ms,A@0,A@2\n0,0,20\n1,1,21\n2,2,22\n"},
	} {
		var b bytes.Buffer
		if err := ExportTable(r, c.sel, ",", &b); err != nil {
			t.Fatal(err)
		}
		if b.String() != c.want {
			t.Errorf("%+v:\n%s\nwant\n%s", c.sel, b.String(), c.want)
		}
	}
	for _, bad := range []Selection{{Species: []string{"Z"}}, {Voxels: []int{7}}, {Set: 3}} {
		if err := ExportTable(r, bad, ",", &bytes.Buffer{}); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestExportNPZMembers(t *testing.T) {
	r := synthetic(t)
	var b bytes.Buffer
	if err := ExportNPZ(r, Selection{}, &b); err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range z.File {
		names = append(names, f.Name)
		rc, _ := f.Open()
		var head [10]byte
		rc.Read(head[:])
		rc.Close()
		if !strings.HasPrefix(string(head[:]), "\x93NUMPY") {
			t.Errorf("%s: not a .npy array", f.Name)
		}
	}
	slices.Sort(names)
	if want := []string{"species.npy", "times.npy", "values.npy", "voxels.npy"}; !slices.Equal(names, want) {
		t.Errorf("members %v, want %v", names, want)
	}
}
