package output

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/spinerd/spinerd/internal/atomicfile"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
	"github.com/spinerd/spinerd/runfile"
	"github.com/spinerd/spinerd/traj"
)

// Format is a file format spinerd writes: the one place that says what a
// format is called, whether runs stream into it, and how a finished run
// (any file package runfile reads) is exported to it. A new format is a
// row here, its writer and its reader (in runfile).
type Format struct {
	// Name is the value of the --format flag.
	Name    string
	Summary string
	// Ext is the file extension of a run written in the format (a run's
	// default output name is the model's name plus Ext); "" when the
	// format is a set of files named from a base name.
	Ext string
	// Create streams a run described by h into files named from path;
	// nil when the format is written only by export.
	Create func(path string, h *traj.Header, opt CreateOptions) (Sink, error)
	// Export writes a whole run to path (to stdout when path is "" and
	// ToStdout) and returns the files written. Formats with Selects honour
	// sel; the others write every set, species and voxel.
	Export   func(r runfile.Run, sel Selection, path string, stdout io.Writer) ([]string, error)
	ToStdout bool
	Selects  bool
}

// CreateOptions adjust how a run's files are written.
type CreateOptions struct {
	// Reproducible leaves out the creation time, so that the same run
	// gives the same bytes (ensembles).
	Reproducible bool
	// System is the compiled model of the run, for formats that record
	// more of the model than the header holds (HDF5); without it they
	// recompile the header's model text.
	System *model.System
}

// RunFormat selects the formats runs can stream into.
func RunFormat(f Format) bool { return f.Create != nil }

// Formats lists the file formats, in the order help texts show them.
func Formats() []Format {
	return []Format{
		{Name: "traj", Ext: ".traj", Summary: "spinerd's compressed trajectory (FILE.traj)",
			Create: createTraj, Export: copyRun(createTraj)},
		{Name: "h5", Ext: ".h5", Summary: "NeuroRD's HDF5 layout (FILE.h5; what NeuroRD writes by default and its users' h5py scripts read)",
			Create: createH5, Export: copyRun(createH5)},
		{Name: "neurord", Summary: "NeuroRD's text files (O.out, O-mesh.txt.out, O-<set>-conc.txt.out)",
			Create: createText, Export: exportText},
		{Name: "csv", Summary: "comma-separated table (time_ms, then species or SPECIES@VOXEL columns)",
			Export: exportTable(","), ToStdout: true, Selects: true},
		{Name: "tsv", Summary: "tab-separated table (as csv)",
			Export: exportTable("\t"), ToStdout: true, Selects: true},
		{Name: "npz", Summary: "NumPy archive: times, values (frames × voxels × species), species, voxels",
			Export: exportNPZ, Selects: true},
	}
}

// FormatByName returns the format called name.
func FormatByName(name string) (Format, error) {
	for _, f := range Formats() {
		if f.Name == name {
			return f, nil
		}
	}
	return Format{}, fmt.Errorf("unknown format %q (use %s)", name, FormatNames(nil))
}

// FormatNames lists the names of the formats keep accepts (all when nil)
// as "a, b or c".
func FormatNames(keep func(Format) bool) string {
	var names []string
	for _, f := range Formats() {
		if keep == nil || keep(f) {
			names = append(names, f.Name)
		}
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func createTraj(path string, h *traj.Header, opt CreateOptions) (Sink, error) {
	w, err := traj.CreateWith(path, h, traj.Options{Reproducible: opt.Reproducible})
	if err != nil {
		return nil, err
	}
	return &trajSink{w, path}, nil
}

func createText(path string, h *traj.Header, _ CreateOptions) (Sink, error) {
	base := strings.TrimSuffix(path, ".out")
	l := TextLayout(h)
	tw, err := neurord.CreateText(base, l)
	if err != nil {
		return nil, err
	}
	return &textSink{tw, neurord.OutputNames(base, l)}, nil
}

// copyRun exports a run by streaming every set's frames into a sink.
func copyRun(create func(string, *traj.Header, CreateOptions) (Sink, error)) func(runfile.Run, Selection, string, io.Writer) ([]string, error) {
	return func(r runfile.Run, _ Selection, path string, _ io.Writer) ([]string, error) {
		h := *r.Header()
		s, err := create(path, &h, CreateOptions{})
		if err != nil {
			return nil, err
		}
		if err := Copy(r, s); err != nil {
			return nil, err
		}
		return s.Files(), nil
	}
}

// Copy streams every frame of every set of r into s and closes s (or
// aborts it on an error).
func Copy(r runfile.Run, s Sink) error {
	for set := range r.Header().Sets {
		err := r.Frames(set, math.Inf(-1), math.Inf(1), func(t float64, c []int64, f []float64) error {
			if c != nil {
				return s.Counts(set, t, c)
			}
			return s.Values(set, t, f)
		})
		if err != nil {
			s.Abort()
			return err
		}
	}
	return s.Close()
}

func exportText(r runfile.Run, _ Selection, path string, _ io.Writer) ([]string, error) {
	return ExportNeuroRD(r, strings.TrimSuffix(path, ".out"))
}

func exportTable(sep string) func(runfile.Run, Selection, string, io.Writer) ([]string, error) {
	return func(r runfile.Run, sel Selection, path string, stdout io.Writer) ([]string, error) {
		return writeTo(path, stdout, func(w io.Writer) error { return ExportTable(r, sel, sep, w) })
	}
}

func exportNPZ(r runfile.Run, sel Selection, path string, _ io.Writer) ([]string, error) {
	return writeTo(path, nil, func(w io.Writer) error { return ExportNPZ(r, sel, w) })
}

// writeTo writes with write to the file path atomically, or to stdout
// when path is "" and stdout is not nil.
func writeTo(path string, stdout io.Writer, write func(io.Writer) error) ([]string, error) {
	if path == "" {
		if stdout == nil {
			return nil, fmt.Errorf("this format needs an output file name")
		}
		return nil, write(stdout)
	}
	if err := atomicfile.Write(path, write); err != nil {
		return nil, err
	}
	return []string{path}, nil
}
