package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spinerd/spinerd/compare"
	"github.com/spinerd/spinerd/ensemble"
	"github.com/spinerd/spinerd/internal/atomicfile"
	"github.com/spinerd/spinerd/output"
	"github.com/spinerd/spinerd/plot"
	"github.com/spinerd/spinerd/traj"
)

// splitList splits "A,B" into its items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// expandFiles turns an argument into files: a comma list of files, glob
// patterns or directories (whose trajectories and NeuroRD main outputs
// are taken; an ensemble directory's summary is not a run and is left
// out).
func expandFiles(arg string) ([]string, error) {
	var out []string
	for _, item := range splitList(arg) {
		if st, err := os.Stat(item); err == nil && st.IsDir() {
			ents, _ := os.ReadDir(item)
			for _, e := range ents {
				n := e.Name()
				if n == ensemble.SummaryName {
					continue
				}
				if strings.HasSuffix(n, ".traj") || strings.HasSuffix(n, ".out") || strings.HasSuffix(n, ".out.zst") {
					if !strings.Contains(n, "-mesh.txt") && !strings.Contains(n, "-conc.txt") {
						out = append(out, filepath.Join(item, n))
					}
				}
			}
			continue
		}
		if strings.ContainsAny(item, "*?[") {
			m, err := filepath.Glob(item)
			if err != nil {
				return nil, fmt.Errorf("bad pattern %q: %v", item, err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("no file matches %q", item)
			}
			sort.Strings(m)
			out = append(out, m...)
			continue
		}
		if _, err := os.Stat(item); err != nil {
			return nil, fmt.Errorf("cannot read %s: %v", item, unwrapErr(err))
		}
		out = append(out, item)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no files in %q", arg)
	}
	return out, nil
}

func unwrapErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func runExport(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("export", stdout)
	format := fs.String("format", "csv", "csv, tsv, npz (numpy) or neurord (NeuroRD's text files)")
	species := fs.String("species", "", "species ids to export, comma-separated (default: all of the set)")
	voxels := fs.String("voxels", "", "voxels to export, e.g. 0,3-5 (default: all of the set)")
	sum := fs.Bool("sum-voxels", false, "sum over the selected voxels")
	set := fs.Int("set", 0, "output set (0: the main output; 1…: the model's <OutputSet>s)")
	out := fs.StringP("output", "o", "", "output file (csv/tsv: default standard output; neurord: base name O)")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if len(fs.Args()) != 1 {
		fmt.Fprintf(stderr, "spinerd export: need exactly one trajectory file; see 'spinerd export --help'\n")
		return exitBadInput
	}
	sel := output.Selection{Set: *set, Species: splitList(*species), Sum: *sum}
	if *voxels != "" {
		v, err := output.ParseVoxels(*voxels)
		if err != nil {
			fmt.Fprintf(stderr, "spinerd export: --voxels: %v\n", err)
			return exitBadInput
		}
		sel.Voxels = v
	}
	r, err := traj.Open(fs.Args()[0])
	if err != nil {
		return report(stderr, "export", nil, err)
	}
	defer r.Close()
	if cut, msg := r.Truncated(); cut {
		fmt.Fprintf(stderr, "spinerd export: warning: %s\n", msg)
	}
	var write func(io.Writer) error
	switch *format {
	case "csv", "tsv":
		sep := map[string]string{"csv": ",", "tsv": "\t"}[*format]
		write = func(w io.Writer) error { return output.ExportTable(r, sel, sep, w) }
	case "npz":
		if *out == "" {
			fmt.Fprintf(stderr, "spinerd export: --format npz needs -o FILE.npz\n")
			return exitBadInput
		}
		write = func(w io.Writer) error { return output.ExportNPZ(r, sel, w) }
	case "neurord":
		if *out == "" {
			fmt.Fprintf(stderr, "spinerd export: --format neurord needs -o BASE (writes BASE.out, BASE-mesh.txt.out, …)\n")
			return exitBadInput
		}
		names, err := output.ExportNeuroRD(r, strings.TrimSuffix(*out, ".out"))
		if err != nil {
			return report(stderr, "export", nil, err)
		}
		fmt.Fprintf(stderr, "wrote %s\n", strings.Join(names, ", "))
		return exitOK
	default:
		fmt.Fprintf(stderr, "spinerd export: unknown --format %q (use csv, tsv, npz or neurord)\n", *format)
		return exitBadInput
	}
	if *out == "" {
		err = write(stdout)
	} else {
		err = atomicfile.Write(*out, write)
	}
	if err != nil {
		return report(stderr, "export", nil, err)
	}
	return exitOK
}

func runCompare(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("compare", stdout)
	times := fs.String("times", "", "output times in ms, comma-separated (default: 6 evenly spaced output times)")
	minMean := fs.Float64("min-mean", 10, "compare species whose mean exceeds this many molecules in either ensemble")
	maxZ := fs.Float64("max-z", 6, "exit with status 1 when some |z| exceeds this")
	quiet := fs.BoolP("quiet", "q", false, "print only the summary")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if len(fs.Args()) != 2 {
		fmt.Fprintf(stderr, "spinerd compare: need two ensembles A and B (files, comma lists, globs or folders); see 'spinerd compare --help'\n")
		return exitBadInput
	}
	a, err := expandFiles(fs.Args()[0])
	if err != nil {
		return report(stderr, "compare", nil, err)
	}
	b, err := expandFiles(fs.Args()[1])
	if err != nil {
		return report(stderr, "compare", nil, err)
	}
	var ts []float64
	if *times != "" {
		for _, f := range splitList(*times) {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil || math.IsNaN(v) {
				fmt.Fprintf(stderr, "spinerd compare: --times: %q is not a time in ms\n", f)
				return exitBadInput
			}
			ts = append(ts, v)
		}
	} else {
		all, err := compare.OutputTimes(a[0])
		if err != nil {
			return report(stderr, "compare", nil, err)
		}
		ts = compare.SpreadTimes(all, 6)
	}
	ea, err := compare.Read(a, ts)
	if err != nil {
		return report(stderr, "compare", nil, err)
	}
	eb, err := compare.Read(b, ts)
	if err != nil {
		return report(stderr, "compare", nil, err)
	}
	cs, err := compare.Compare(ea, eb, *minMean)
	if err != nil {
		return report(stderr, "compare", nil, err)
	}
	if !*quiet {
		compare.WriteTable(stdout, cs, "A", "B")
	}
	if len(cs) == 0 {
		fmt.Fprintf(stdout, "no species has a mean above %g molecules at the chosen times\n", *minMean)
		return exitOK
	}
	worst, geo := compare.Summary(cs)
	fmt.Fprintf(stdout, "A: %d runs; B: %d runs; %d comparisons at %d times; worst |z| %.2f; geometric mean SD ratio (A/B) %.3f\n",
		ea.Runs(), eb.Runs(), len(cs), len(ts), worst, geo)
	if worst > *maxZ {
		fmt.Fprintf(stdout, "some |z| exceeds %g: the ensembles differ\n", *maxZ)
		return 1
	}
	return exitOK
}

func runPlot(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("plot", stdout)
	species := fs.String("species", "", "species ids to plot, comma-separated (one panel each)")
	out := fs.StringP("output", "o", "", "figure file, .png or .svg (default: the first file's name with .png)")
	conc := fs.Bool("concentration", false, "plot concentrations in nM instead of molecules")
	band := fs.String("band", "sd", "for several runs: sd (mean ± SD) or quantiles (5–95 %)")
	set := fs.Int("set", 0, "output set (0: the main output)")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if len(fs.Args()) == 1 {
		// A fit's log (or its directory): objective traces.
		if logPath, ok := isFitLog(fs.Args()[0]); ok {
			path := *out
			if path == "" {
				path = filepath.Join(filepath.Dir(logPath), "fit.png")
			}
			if err := plotFitLog(logPath, path); err != nil {
				return report(stderr, "plot", nil, err)
			}
			fmt.Fprintf(stderr, "wrote %s\n", path)
			return exitOK
		}
	}
	if len(fs.Args()) == 0 || *species == "" {
		fmt.Fprintf(stderr, "spinerd plot: need trajectory files and --species (or a fit directory); see 'spinerd plot --help'\n")
		return exitBadInput
	}
	var files []string
	for _, a := range fs.Args() {
		f, err := expandFiles(a)
		if err != nil {
			return report(stderr, "plot", nil, err)
		}
		files = append(files, f...)
	}
	if *band != "sd" && *band != "quantiles" {
		fmt.Fprintf(stderr, "spinerd plot: --band %q: use sd or quantiles\n", *band)
		return exitBadInput
	}
	path := *out
	if path == "" {
		path = strings.TrimSuffix(files[0], filepath.Ext(files[0])) + ".png"
	}
	format, err := plot.FormatOf(path)
	if err != nil {
		return report(stderr, "plot", nil, err)
	}
	opt := plot.Options{Species: splitList(*species), Set: *set, Concentration: *conc, Band: plot.Band(*band)}
	if len(files) > 1 {
		opt.Title = fmt.Sprintf("%d runs", len(files))
	}
	if err := atomicfile.Write(path, func(w io.Writer) error { return plot.Write(w, format, files, opt) }); err != nil {
		return report(stderr, "plot", nil, err)
	}
	fmt.Fprintf(stderr, "wrote %s\n", path)
	return exitOK
}
