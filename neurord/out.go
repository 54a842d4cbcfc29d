package neurord

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// OutReader streams NeuroRD's main text output (O.out): a "cctdif2d"
// magic line, the voxel grid, then one block per output time.
type OutReader struct {
	sc     *bufio.Scanner
	line   int
	Voxels int
	// Corners are the voxels' outline corners from the grid (µm).
	Corners [][4][3]float64
}

// ErrTruncated reports a block cut short by the end of the file.
var ErrTruncated = errors.New("truncated block")

// Frame is one output time of an O.out file: Counts[voxel][species].
type Frame struct {
	TimeMs  float64
	Species []string
	Counts  [][]int64
}

// NewOutReader reads the header of an O.out stream.
func NewOutReader(r io.Reader) (*OutReader, error) {
	o := &OutReader{sc: bufio.NewScanner(r)}
	o.sc.Buffer(make([]byte, 1<<20), 1<<26)
	magic, err := o.next()
	if err != nil || magic != "cctdif2d" {
		return nil, fmt.Errorf("line 1: not a NeuroRD .out file (no cctdif2d magic)")
	}
	grid, err := o.next()
	f := strings.Fields(grid)
	if err != nil || len(f) != 2 || f[0] != "volumeGrid" {
		return nil, fmt.Errorf("line 2: expected \"volumeGrid N\", got %q", grid)
	}
	if o.Voxels, err = strconv.Atoi(f[1]); err != nil {
		return nil, fmt.Errorf("line 2: %v", err)
	}
	if o.Voxels < 0 || o.Voxels > 1<<24 {
		return nil, fmt.Errorf("line 2: %d voxels", o.Voxels)
	}
	for i := 0; i < o.Voxels; i++ {
		row, err := o.next()
		if err != nil {
			return nil, fmt.Errorf("line %d: truncated voxel grid: %v", o.line+1, err)
		}
		c, err := parseCorners(row)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", o.line, err)
		}
		o.Corners = append(o.Corners, c)
	}
	return o, nil
}

// parseCorners reads "(x y z) (x y z) (x y z) (x y z)".
func parseCorners(row string) (c [4][3]float64, err error) {
	f := strings.Fields(strings.NewReplacer("(", " ", ")", " ").Replace(row))
	if len(f) != 12 {
		return c, fmt.Errorf("expected 4 corners (x y z), got %q", row)
	}
	for k := range f {
		if c[k/3][k%3], err = strconv.ParseFloat(f[k], 64); err != nil {
			return c, fmt.Errorf("corner coordinate %q", f[k])
		}
	}
	return c, nil
}

func (o *OutReader) next() (string, error) {
	if !o.sc.Scan() {
		if err := o.sc.Err(); err != nil {
			return "", err
		}
		return "", io.EOF
	}
	o.line++
	return o.sc.Text(), nil
}

// Next returns the next frame, or io.EOF after the last.
func (o *OutReader) Next() (*Frame, error) {
	head, err := o.next()
	if err != nil {
		return nil, err
	}
	f := strings.Fields(head)
	if len(f) < 4 || f[0] != "gridConcentrations" {
		return nil, fmt.Errorf("line %d: expected a gridConcentrations header", o.line)
	}
	nv, err1 := strconv.Atoi(f[1])
	ns, err2 := strconv.Atoi(f[2])
	t, err3 := strconv.ParseFloat(f[3], 64)
	if err1 != nil || err2 != nil || err3 != nil || len(f) != 4+ns {
		return nil, fmt.Errorf("line %d: malformed gridConcentrations header", o.line)
	}
	if nv != o.Voxels {
		// (and no allocation for a count the file does not hold)
		return nil, fmt.Errorf("line %d: gridConcentrations for %d voxels, but volumeGrid has %d", o.line, nv, o.Voxels)
	}
	fr := &Frame{TimeMs: t, Species: f[4:], Counts: make([][]int64, nv)}
	for v := 0; v < nv; v++ {
		row, err := o.next()
		if err != nil {
			return nil, fmt.Errorf("line %d: %w: %v", o.line, ErrTruncated, err)
		}
		vals := strings.Fields(row)
		if len(vals) != ns {
			return nil, fmt.Errorf("line %d: %d values, want %d", o.line, len(vals), ns)
		}
		fr.Counts[v] = make([]int64, ns)
		for s, x := range vals {
			n, err := strconv.ParseInt(x, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", o.line, err)
			}
			fr.Counts[v][s] = n
		}
	}
	return fr, nil
}
