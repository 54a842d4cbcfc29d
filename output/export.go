package output

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spinerd/spinerd/neurord"
	"github.com/spinerd/spinerd/runfile"
	"github.com/spinerd/spinerd/traj"
)

// Selection chooses the values to export from a trajectory.
type Selection struct {
	Set     int      // output set (0: the main output)
	Species []string // species ids; empty: all of the set
	Voxels  []int    // voxel indices of the mesh (ParseVoxels); empty: all of the set
	Sum     bool     // sum over the selected voxels
}

// ParseVoxels reads a voxel list such as "0,3-5" of a mesh of n voxels:
// each is in [0, n) and given once.
func ParseVoxels(s string, n int) ([]int, error) {
	var out []int
	seen := make([]bool, n)
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(f, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil || a < 0 {
			return nil, fmt.Errorf("bad voxel %q in %q", f, s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil || b < a {
				return nil, fmt.Errorf("bad voxel range %q in %q", f, s)
			}
		}
		if b >= n {
			return nil, fmt.Errorf("voxel %d in %q is not in the mesh (voxels 0–%d)", b, s, n-1)
		}
		for v := a; v <= b; v++ {
			if seen[v] {
				return nil, fmt.Errorf("voxel %d given twice in %q", v, s)
			}
			seen[v] = true
			out = append(out, v)
		}
	}
	return out, nil
}

// picked is a resolved selection: positions within the set's frames.
type picked struct {
	set     *traj.Set
	species []int // positions in set.Species
	voxels  []int // positions in set.Voxels
	ids     []string
	sum     bool
}

func resolve(h *traj.Header, sel Selection) (*picked, error) {
	if sel.Set < 0 || sel.Set >= len(h.Sets) {
		return nil, fmt.Errorf("no output set %d (the trajectory has %d)", sel.Set, len(h.Sets))
	}
	s := &h.Sets[sel.Set]
	p := &picked{set: s, sum: sel.Sum}
	if len(sel.Species) == 0 {
		for j, sp := range s.Species {
			p.species = append(p.species, j)
			p.ids = append(p.ids, h.Species[sp].ID)
		}
	}
	for _, id := range sel.Species {
		found := false
		for j, sp := range s.Species {
			if h.Species[sp].ID == id {
				p.species = append(p.species, j)
				p.ids = append(p.ids, id)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("species %q is not in output set %q", id, s.Name)
		}
	}
	if len(sel.Voxels) == 0 {
		for k := range s.Voxels {
			p.voxels = append(p.voxels, k)
		}
		return p, nil
	}
	at := make(map[int][]int, len(s.Voxels)) // mesh voxel → positions in the set
	for k, sv := range s.Voxels {
		at[sv] = append(at[sv], k)
	}
	for _, v := range sel.Voxels {
		p.voxels = append(p.voxels, at[v]...)
		if len(at[v]) == 0 {
			return nil, fmt.Errorf("voxel %d is not in output set %q (voxels 0–%d)", v, s.Name, len(h.Voxels)-1)
		}
	}
	return p, nil
}

// value returns the selected value of species position j in voxel
// position k (or summed over the voxels when k < 0) from a frame.
func (p *picked) value(j, k int, c []int64, f []float64) (int64, float64) {
	ns := len(p.set.Species)
	var iv int64
	var fv float64
	add := func(kk int) {
		if c != nil {
			iv += c[kk*ns+j]
		} else {
			fv += f[kk*ns+j]
		}
	}
	if k >= 0 {
		add(k)
	} else {
		for _, kk := range p.voxels {
			add(kk)
		}
	}
	return iv, fv
}

// ExportTable writes the selection as text columns separated by sep: a
// header "time_ms" then one column per species (summed voxels, or a
// single voxel) or per SPECIES@VOXEL, then one row per frame.
func ExportTable(r runfile.Run, sel Selection, sep string, w io.Writer) error {
	h := r.Header()
	p, err := resolve(h, sel)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("time_ms")
	perVoxel := !p.sum && len(p.voxels) > 1
	for _, id := range p.ids {
		if perVoxel {
			for _, k := range p.voxels {
				fmt.Fprintf(bw, "%s%s@%d", sep, id, p.set.Voxels[k])
			}
		} else {
			bw.WriteString(sep + id)
		}
	}
	bw.WriteByte('\n')
	counts := h.Values == traj.Counts
	cell := func(c []int64, f []float64, j, k int) {
		iv, fv := p.value(j, k, c, f)
		bw.WriteString(sep)
		if counts {
			bw.WriteString(strconv.FormatInt(iv, 10))
		} else {
			bw.WriteString(strconv.FormatFloat(fv, 'g', -1, 64))
		}
	}
	err = r.Frames(sel.Set, math.Inf(-1), math.Inf(1), func(t float64, c []int64, f []float64) error {
		bw.WriteString(strconv.FormatFloat(t, 'g', -1, 64))
		for _, j := range p.species {
			switch {
			case perVoxel:
				for _, k := range p.voxels {
					cell(c, f, j, k)
				}
			case p.sum:
				cell(c, f, j, -1)
			default:
				cell(c, f, j, p.voxels[0])
			}
		}
		return bw.WriteByte('\n')
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// npyHeader returns the header of a .npy (format 1.0) array.
func npyHeader(descr string, shape ...int) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	sh := strings.Join(dims, ", ")
	if len(shape) == 1 {
		sh += ","
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, sh)
	total := 10 + len(dict) + 1
	pad := (64 - total%64) % 64
	dict += strings.Repeat(" ", pad) + "\n"
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)))
	return append(b, dict...)
}

// ExportNPZ writes the selection as a numpy .npz archive: times (float64
// [T], ms), values ([T, V, S]: int32 counts, or float64), species (strings
// [S]) and voxels (int64 [V]: mesh indices; [-1] when summed).
func ExportNPZ(r runfile.Run, sel Selection, w io.Writer) error {
	h := r.Header()
	p, err := resolve(h, sel)
	if err != nil {
		return err
	}
	times, err := runfile.Times(r, sel.Set)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	entry := func(name string) (io.Writer, error) {
		return zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
	}
	// times
	ew, err := entry("times.npy")
	if err != nil {
		return err
	}
	b := npyHeader("<f8", len(times))
	for _, t := range times {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(t))
	}
	if _, err := ew.Write(b); err != nil {
		return err
	}
	// values
	nv := len(p.voxels)
	voxels := make([]int64, 0, nv)
	for _, k := range p.voxels {
		voxels = append(voxels, int64(p.set.Voxels[k]))
	}
	if p.sum {
		nv, voxels = 1, []int64{-1}
	}
	ns := len(p.species)
	counts := h.Values == traj.Counts
	descr := "<f8"
	if counts {
		descr = "<i4"
	}
	if ew, err = entry("values.npy"); err != nil {
		return err
	}
	vw := bufio.NewWriter(ew)
	vw.Write(npyHeader(descr, len(times), nv, ns))
	var buf []byte
	err = r.Frames(sel.Set, math.Inf(-1), math.Inf(1), func(t float64, c []int64, f []float64) error {
		buf = buf[:0]
		for vi := 0; vi < nv; vi++ {
			k := -1
			if !p.sum {
				k = p.voxels[vi]
			}
			for _, j := range p.species {
				iv, fv := p.value(j, k, c, f)
				if counts {
					if iv > math.MaxInt32 || iv < math.MinInt32 {
						return fmt.Errorf("count %d at %g ms does not fit in int32: export CSV instead", iv, t)
					}
					buf = binary.LittleEndian.AppendUint32(buf, uint32(int32(iv)))
				} else {
					buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(fv))
				}
			}
		}
		_, err := vw.Write(buf)
		return err
	})
	if err != nil {
		return err
	}
	if err := vw.Flush(); err != nil {
		return err
	}
	// species
	width := 1
	for _, id := range p.ids {
		width = max(width, utf8.RuneCountInString(id))
	}
	if ew, err = entry("species.npy"); err != nil {
		return err
	}
	b = npyHeader(fmt.Sprintf("<U%d", width), len(p.ids))
	for _, id := range p.ids {
		n := 0
		for _, rn := range id {
			b = binary.LittleEndian.AppendUint32(b, uint32(rn))
			n++
		}
		for ; n < width; n++ {
			b = binary.LittleEndian.AppendUint32(b, 0)
		}
	}
	if _, err := ew.Write(b); err != nil {
		return err
	}
	// voxels
	if ew, err = entry("voxels.npy"); err != nil {
		return err
	}
	b = npyHeader("<i8", len(voxels))
	for _, v := range voxels {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	if _, err := ew.Write(b); err != nil {
		return err
	}
	return zw.Close()
}

// ExportNeuroRD writes the whole trajectory in NeuroRD's text layout with
// base name O (O.out, O-mesh.txt.out, O-<set>-conc.txt.out) and returns
// the file names. Real values (deterministic runs) are rounded to whole
// molecules, as NeuroRD writes counts.
func ExportNeuroRD(r runfile.Run, base string) ([]string, error) {
	h := r.Header()
	l := TextLayout(h)
	tw, err := neurord.CreateText(base, l)
	if err != nil {
		return nil, err
	}
	var ibuf []int64
	for s := range h.Sets {
		err := r.Frames(s, math.Inf(-1), math.Inf(1), func(t float64, c []int64, f []float64) error {
			if c == nil {
				ibuf = ibuf[:0]
				for _, v := range f {
					ibuf = append(ibuf, int64(math.Round(v)))
				}
				c = ibuf
			}
			return tw.Counts(s, t, c)
		})
		if err != nil {
			tw.Abort()
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return neurord.OutputNames(base, l), nil
}
