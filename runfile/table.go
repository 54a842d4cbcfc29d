package runfile

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spinerd/spinerd/traj"
)

// tableRun is a CSV or TSV export: a time_ms column, then one column per
// species (voxel-summed or a single voxel) or per SPECIES@VOXEL. It is read
// whole when opened, as it is (cells: the value columns of every row,
// row by row); Frames lays each row out as a frame of every species in
// every voxel named, so that memory follows the file's size and not the
// product of its species and voxels.
type tableRun struct {
	h     *traj.Header
	times []float64
	cells []float64 // row i's value columns: cells[i*len(at):(i+1)*len(at)]
	at    []int     // each value column's place in a frame (voxel-major)
	frame []float64 // Frames' buffer
}

// maxTableFrame is the most values (species × voxels) a frame of a
// table may span: the spine model's 200 species on 80 000 voxels. A
// header of n columns SPECIES_i@VOXEL_i alone names n species and n
// voxels, whose n² frame would be out of all proportion to the file.
const maxTableFrame = 1 << 24

// maxTableValues bounds the values a table holds in all (1 GiB of them):
// a table is read whole, and a compressed one (.csv.zst) of a few
// megabytes could otherwise expand into more memory than the machine has.
const maxTableValues = 1 << 27

func openTable(path string) (*tableRun, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, unwrapPath(err)
	}
	defer f.Close()
	rd, closeZ, err := decompress(path, f)
	if err != nil {
		return nil, err
	}
	defer closeZ()
	r, err := readTable(rd, maxTableValues)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r.h.ModelSource = path
	return r, nil
}

// readTable reads a table of at most maxValues values.
func readTable(rd io.Reader, maxValues int) (*tableRun, error) {
	br := bufio.NewReader(rd)
	first, _ := br.Peek(4096)
	line1, _, _ := strings.Cut(string(first), "\n")
	cr := csv.NewReader(br)
	if strings.Contains(line1, "\t") && !strings.Contains(line1, ",") {
		cr.Comma = '\t'
	}
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("table header: %w", err)
	}
	head = append([]string(nil), head...)
	if len(head) < 2 || head[0] != "time_ms" {
		return nil, fmt.Errorf("table header: first column must be time_ms (a spinerd export)")
	}
	// Columns: species ids in order of first appearance, voxels likewise.
	h := &traj.Header{FormatVersion: traj.FormatVersion, Method: "table", Values: traj.Floats}
	spIdx, vxIdx := map[string]int{}, map[string]int{}
	type cell struct{ sp, vx int }
	cells := make([]cell, len(head)-1)
	for i, name := range head[1:] {
		id, vox, hasVox := strings.Cut(name, "@")
		if !hasVox {
			vox = "sum"
		}
		sp, ok := spIdx[id]
		if !ok {
			sp = len(h.Species)
			spIdx[id] = sp
			h.Species = append(h.Species, traj.Species{ID: id})
		}
		vx, ok := vxIdx[vox]
		if !ok {
			vx = len(h.Voxels)
			vxIdx[vox] = vx
			h.Voxels = append(h.Voxels, traj.Voxel{Label: vox})
		}
		cells[i] = cell{sp, vx}
	}
	ns, nv := len(h.Species), len(h.Voxels)
	if ns*nv > maxTableFrame {
		return nil, fmt.Errorf("table header: its columns name %d species and %d voxels, a frame of %d values (at most %d)", ns, nv, ns*nv, maxTableFrame)
	}
	set := traj.Set{Name: "__main__"}
	for j := 0; j < ns; j++ {
		set.Species = append(set.Species, j)
	}
	for k := 0; k < nv; k++ {
		set.Voxels = append(set.Voxels, k)
	}
	h.Sets = []traj.Set{set}
	r := &tableRun{h: h, at: make([]int, len(cells)), frame: make([]float64, ns*nv)}
	for i, c := range cells {
		r.at[i] = c.vx*ns + c.sp
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(rec) != len(head) {
			return nil, fmt.Errorf("line %d: %d columns, header has %d", line, len(rec), len(head))
		}
		t, err := strconv.ParseFloat(rec[0], 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: time %q", line, rec[0])
		}
		if len(r.cells)+len(cells) > maxValues {
			return nil, fmt.Errorf("line %d: more than %d values in the table: export less (--species, --voxels, --sum-voxels) or read the trajectory", line, maxValues)
		}
		for i := range cells {
			v, err := strconv.ParseFloat(rec[i+1], 64)
			if err != nil {
				return nil, fmt.Errorf("line %d, column %s: %q is not a number", line, head[i+1], rec[i+1])
			}
			r.cells = append(r.cells, v)
		}
		r.times = append(r.times, t)
	}
	if len(r.times) == 0 {
		return nil, fmt.Errorf("the table has no rows")
	}
	h.StartMs, h.EndMs = r.times[0], r.times[len(r.times)-1]
	return r, nil
}

func (r *tableRun) Header() *traj.Header      { return r.h }
func (r *tableRun) Truncated() (bool, string) { return false, "" }
func (r *tableRun) Close() error              { return nil }

func (r *tableRun) Frames(set int, t0, t1 float64, fn func(t float64, counts []int64, values []float64) error) error {
	if set != 0 {
		return fmt.Errorf("a table holds one output set, not set %d", set)
	}
	for i, t := range r.times {
		if t < t0 || t > t1 {
			continue
		}
		clear(r.frame)
		for j, v := range r.cells[i*len(r.at) : (i+1)*len(r.at)] {
			r.frame[r.at[j]] += v
		}
		if err := fn(t, nil, r.frame); err != nil {
			if errors.Is(err, traj.ErrStop) {
				return nil
			}
			return err
		}
	}
	return nil
}
