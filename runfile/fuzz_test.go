package runfile

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// FuzzTable reads altered CSV and TSV exports: errors or frames, never a
// panic, and never a frame wider than the columns allow.
func FuzzTable(f *testing.F) {
	f.Add([]byte("time_ms,A,B\n0,1,2\n1,3,4\n"))
	f.Add([]byte("time_ms\tA@0\tA@1\tB@1\n0\t1\t2\t3\n"))
	f.Add([]byte("time_ms,A@x,A@x\n0,1,2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := readTable(strings.NewReader(string(data)), maxTableValues)
		if err != nil {
			return
		}
		h := r.Header()
		want := len(h.Species) * len(h.Voxels)
		r.Frames(0, math.Inf(-1), math.Inf(1), func(_ float64, c []int64, v []float64) error {
			if c != nil || len(v) != want {
				return fmt.Errorf("frame of %d values, want %d", len(v), want)
			}
			return nil
		})
	})
}

// TestTableFrames: a table's rows come back as frames of every species in
// every voxel its columns name, a column repeated adds up, and a header
// whose species and voxels span far more values than it has columns is
// refused before any row is read, and so is a table of more values than
// the reader holds.
func TestTableFrames(t *testing.T) {
	r, err := readTable(strings.NewReader("time_ms,A@0,B@1,A@0\n0,1,2,3\n5,4,5,6\n"), maxTableValues)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	r.Frames(0, 0, 10, func(tm float64, _ []int64, v []float64) error {
		got = append(got, fmt.Sprint(tm, v))
		return nil
	})
	// voxel-major: A@0 B@0 A@1 B@1
	if s := strings.Join(got, " "); s != "0 [4 0 0 2] 5 [10 0 0 5]" {
		t.Errorf("frames %s", s)
	}
	var head strings.Builder
	head.WriteString("time_ms")
	for i := range 5000 {
		fmt.Fprintf(&head, ",S%d@%d", i, i)
	}
	_, err = readTable(strings.NewReader(head.String()+"\n"), maxTableValues)
	if err == nil || !strings.Contains(err.Error(), "5000 species and 5000 voxels") {
		t.Errorf("a 5000×5000 header: %v", err)
	}
	// A table is read whole: its values are bounded in all (a .csv.zst of
	// a few megabytes can expand to gigabytes).
	rows := "time_ms,A,B\n0,1,2\n1,1,2\n2,1,2\n"
	if _, err := readTable(strings.NewReader(rows), 6); err != nil {
		t.Errorf("6 values of at most 6: %v", err)
	}
	if _, err := readTable(strings.NewReader(rows), 5); err == nil || !strings.Contains(err.Error(), "line 4: more than 5 values") {
		t.Errorf("6 values of at most 5: %v", err)
	}
}
