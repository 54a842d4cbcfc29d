package neurord

import (
	"bufio"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/spinerd/spinerd/internal/atomicfile"
	"github.com/spinerd/spinerd/mesh"
)

// FormatJavaDouble formats x as Java's Double.toString, which NeuroRD uses
// for times in O.out: the shortest decimal that reads back exactly, with
// at least one digit after the point, plain for 1e-3 ≤ |x| < 1e7 and as
// d.dddE±n otherwise ("0.0", "100.0", "1.0E7", "1.0E-4").
func FormatJavaDouble(x float64) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "Infinity"
	case math.IsInf(x, -1):
		return "-Infinity"
	case x == 0:
		if math.Signbit(x) {
			return "-0.0"
		}
		return "0.0"
	}
	ax := math.Abs(x)
	if ax >= 1e-3 && ax < 1e7 {
		s := strconv.FormatFloat(x, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(x, 'e', -1, 64) // e.g. 1e+07, 1.5e-05
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// TextVoxel is what NeuroRD's text formats need of a voxel.
type TextVoxel struct {
	Corners             [4][3]float64 // µm
	VolumeUm3, DeltaZUm float64
	Region, Label       string
	Group               string // spine id, or ""
	Submembrane         bool
}

// TextSet is an output set: indices into the layout's species and voxels.
type TextSet struct {
	Name            string
	Species, Voxels []int
}

// TextLayout describes a run for the text writer: species ids, voxels and
// output sets (set 0 is the main output).
type TextLayout struct {
	Species []string
	Voxels  []TextVoxel
	Sets    []TextSet
}

// MeshVoxels returns the text description of a mesh's voxels.
func MeshVoxels(m *mesh.Mesh) []TextVoxel {
	out := make([]TextVoxel, len(m.Voxels))
	for i := range m.Voxels {
		v := &m.Voxels[i]
		out[i] = TextVoxel{VolumeUm3: v.VolumeUm3, DeltaZUm: v.DeltaZUm, Region: v.Region, Label: v.Label, Group: v.Group, Submembrane: v.Submembrane()}
		for k, c := range v.Corners {
			out[i].Corners[k] = c
		}
	}
	return out
}

// TextWriter writes a run in NeuroRD's text layout so that scripts written
// for NeuroRD read it unchanged: O.out (the main output), O-mesh.txt.out
// and one O-<filename>-conc.txt.out per output set (layouts in
// ../shared/docs/neurord-format.md §8). Counts are molecules. It implements
// model.Sink. Files are written under temporary names and renamed when
// Close succeeds, so a file with the final name is always complete.
type TextWriter struct {
	l     *TextLayout
	files []*textFile // 0: main; i: output set i
	mesh  *textFile
	err   error
}

type textFile struct {
	t *atomicfile.Target
	w *bufio.Writer
}

func createText(path string) (*textFile, error) {
	t, err := atomicfile.OpenTarget(path)
	if err != nil {
		return nil, err
	}
	return &textFile{t: t, w: bufio.NewWriterSize(t.F, 1<<16)}, nil
}

// OutputNames returns the files CreateText writes for base name O.
func OutputNames(base string, l *TextLayout) []string {
	names := []string{base + ".out", base + "-mesh.txt.out"}
	for _, o := range l.Sets[1:] {
		names = append(names, base+"-"+o.Name+"-conc.txt.out")
	}
	return names
}

// CreateText starts the NeuroRD text outputs for base name O.
func CreateText(base string, l *TextLayout) (*TextWriter, error) {
	tw := &TextWriter{l: l}
	names := OutputNames(base, l)
	order := append([]string{names[0]}, names[2:]...)
	for _, name := range order {
		f, err := createText(name)
		if err != nil {
			tw.Abort()
			return nil, err
		}
		tw.files = append(tw.files, f)
	}
	mf, err := createText(names[1])
	if err != nil {
		tw.Abort()
		return nil, err
	}
	tw.mesh = mf
	if err := WriteMeshText(mf.w, l.Voxels); err != nil {
		tw.Abort()
		return nil, err
	}
	// Main output header: magic, grid, corners.
	w := tw.files[0].w
	fmt.Fprintf(w, "cctdif2d\nvolumeGrid %d\n", len(l.Voxels))
	for i := range l.Voxels {
		for k, c := range l.Voxels[i].Corners {
			if k > 0 {
				w.WriteByte(' ')
			}
			fmt.Fprintf(w, "(%s %s %s)", FormatG5(c[0]), FormatG5(c[1]), FormatG5(c[2]))
		}
		w.WriteByte('\n')
	}
	for i := 1; i < len(tw.files); i++ {
		tw.files[i].w.WriteString(SetHeader(l, i))
		tw.files[i].w.WriteByte('\n')
	}
	return tw, nil
}

// SetHeader returns the header line of output set i (≥ 1) as NeuroRD
// writes it: "time" then, for each species and each voxel of the set,
// Vol_<index>_<region>[.<group>]_<submembrane|cytosol>[_<label>]_Spc_<id>.
func SetHeader(l *TextLayout, i int) string {
	set := &l.Sets[i]
	var b strings.Builder
	b.WriteString("time")
	for _, s := range set.Species {
		for _, v := range set.Voxels {
			b.WriteString(" ")
			b.WriteString(voxelColumn(&l.Voxels[v], v))
			b.WriteString("_Spc_")
			b.WriteString(l.Species[s])
		}
	}
	return b.String()
}

func voxelColumn(v *TextVoxel, i int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Vol_%d_%s", i, v.Region)
	label := v.Label
	switch {
	case v.Group != "":
		b.WriteString("." + v.Group)
	case len(label) > 1 && strings.Contains(label[1:], "."):
		b.WriteString("." + label[:strings.Index(label, ".")])
	}
	if v.Submembrane {
		b.WriteString("_submembrane")
	} else {
		b.WriteString("_cytosol")
	}
	if label != "" {
		if _, after, ok := strings.Cut(label, "."); ok {
			label = after
		}
		b.WriteString("_" + label)
	}
	return b.String()
}

func writeCount(w *bufio.Writer, n int64) {
	if n == 0 {
		w.WriteString("00 ")
		return
	}
	w.WriteString(strconv.FormatInt(n, 10))
	w.WriteByte(' ')
}

// Counts writes one frame of output set `set`.
func (tw *TextWriter) Counts(set int, t float64, counts []int64) error {
	return tw.frame(set, t, func(w *bufio.Writer, i int) { writeCount(w, counts[i]) })
}

// Values writes one frame of real molecule numbers (deterministic runs),
// each with 9 significant digits (NeuroRD writes only integer counts).
func (tw *TextWriter) Values(set int, t float64, values []float64) error {
	return tw.frame(set, t, func(w *bufio.Writer, i int) {
		w.WriteString(strconv.FormatFloat(values[i], 'g', 9, 64))
		w.WriteByte(' ')
	})
}

func (tw *TextWriter) frame(set int, t float64, cell func(w *bufio.Writer, i int)) error {
	if tw.err != nil {
		return tw.err
	}
	o := &tw.l.Sets[set]
	f := tw.files[set]
	w := f.w
	ns := len(o.Species)
	if set == 0 {
		fmt.Fprintf(w, "gridConcentrations %d %d %s ", len(o.Voxels), ns, FormatJavaDouble(t))
		for _, s := range o.Species {
			w.WriteString(tw.l.Species[s])
			w.WriteByte(' ')
		}
		w.WriteByte('\n')
		for k := range o.Voxels {
			for j := 0; j < ns; j++ {
				cell(w, k*ns+j)
			}
			w.WriteByte('\n')
		}
	} else {
		if t == 0 {
			w.WriteString("0.0")
		} else {
			w.WriteString(FormatG5(t))
		}
		w.WriteByte(' ')
		for j := 0; j < ns; j++ { // species outer, voxels inner
			for k := range o.Voxels {
				cell(w, k*ns+j)
			}
		}
		w.WriteByte('\n')
	}
	return nil
}

// Close flushes every file and gives it its final name once all are
// complete. After an error the temporary files are removed and no final
// file is created (but for those renamed before a rename failed).
func (tw *TextWriter) Close() error {
	all := append([]*textFile{tw.mesh}, tw.files...)
	for _, f := range all {
		if err := f.w.Flush(); err != nil {
			tw.Abort()
			return fmt.Errorf("writing %s: %w", f.t.Path, err)
		}
		if err := f.t.Finish(); err != nil {
			tw.Abort()
			return err
		}
	}
	for i, f := range all {
		if err := f.t.Publish(); err != nil {
			for _, g := range all[i+1:] {
				g.t.Discard()
			}
			return err
		}
	}
	return nil
}

// Abort removes the temporary files.
func (tw *TextWriter) Abort() {
	for _, f := range append([]*textFile{tw.mesh}, tw.files...) {
		if f != nil {
			f.t.Discard()
		}
	}
}
