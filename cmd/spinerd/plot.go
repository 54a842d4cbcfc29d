package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spinerd/spinerd/firings"
	"github.com/spinerd/spinerd/fit"
	"github.com/spinerd/spinerd/internal/atomicfile"
	"github.com/spinerd/spinerd/plot"
	"github.com/spinerd/spinerd/runfile"
)

func runPlot(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("plot", stdout)
	species := fs.String("species", "", "species ids to plot, comma-separated (one panel each)")
	out := fs.StringP("output", "o", "", "figure file, .png or .svg (default: the first file's name with .png)")
	conc := fs.Bool("concentration", false, "plot concentrations in nM instead of molecules")
	band := fs.String("band", "sd", "for several runs: sd (mean ± SD) or quantiles (5–95 %)")
	set := fs.Int("set", 0, "output set (0: the main output)")
	top := fs.Int("top", 15, "for a table of spinerd run --firings: the number of channel classes drawn")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if *top < 1 {
		return badFlag(stderr, "plot", "top", fmt.Errorf("%d: want at least 1", *top))
	}
	if len(fs.Args()) == 1 && isFiringsTable(fs.Args()[0]) {
		in := fs.Args()[0]
		path := *out
		if path == "" {
			path = strings.TrimSuffix(in, filepath.Ext(in)) + ".png"
		}
		if err := plotFirings(in, path, *top); err != nil {
			return report(stderr, "plot", nil, err)
		}
		fmt.Fprintf(stderr, "wrote %s\n", path)
		return exitOK
	}
	if len(fs.Args()) == 1 {
		// A fit's log (or its directory): objective traces.
		if logPath, ok := fitLog(fs.Args()[0]); ok {
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
		f, err := runfile.Expand(a)
		if err != nil {
			return report(stderr, "plot", nil, err)
		}
		files = append(files, f...)
	}
	for _, f := range files {
		if r, err := runfile.Open(f); err == nil {
			if cut, msg := r.Truncated(); cut {
				fmt.Fprintf(stderr, "spinerd plot: warning: %s\n", msg)
			}
			r.Close()
		}
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
	if err := atomicfile.Write(path, func(w io.Writer) error { return plot.Write(w, format, files, opt) }); err != nil {
		return report(stderr, "plot", nil, err)
	}
	fmt.Fprintf(stderr, "wrote %s\n", path)
	return exitOK
}

// fitLog reports whether path is a fit's log.tsv or a fit directory, and
// the log's path.
func fitLog(path string) (string, bool) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, fit.LogName)
	}
	return path, fit.IsLog(path)
}

// plotFitLog draws the hypervolume and the best value of every objective
// against the generation.
func plotFitLog(path, outPath string) error {
	gens, objectives, err := fit.ReadLog(path)
	if err != nil {
		return err
	}
	x := make([]float64, len(gens))
	series := make([][]float64, 1+len(objectives))
	for i, g := range gens {
		x[i] = float64(g.Gen)
		series[0] = append(series[0], g.Hypervolume)
		for k, b := range g.Best {
			series[1+k] = append(series[1+k], b)
		}
	}
	labels := []string{"hypervolume"}
	for _, o := range objectives {
		labels = append(labels, "best "+o)
	}
	format, err := plot.FormatOf(outPath)
	if err != nil {
		return err
	}
	return atomicfile.Write(outPath, func(w io.Writer) error {
		return plot.LinesX(w, format, "generation", x, series, labels, filepath.Base(filepath.Dir(path)))
	})
}

// isFiringsTable reports whether path is a table of spinerd run --firings.
func isFiringsTable(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	return firings.IsTable(head[:n])
}

// plotFirings draws a table of spinerd run --firings.
func plotFirings(path, outPath string, top int) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := firings.Read(f, path)
	if err != nil {
		return err
	}
	format, err := plot.FormatOf(outPath)
	if err != nil {
		return err
	}
	return atomicfile.Write(outPath, func(w io.Writer) error {
		return plot.Firings(w, format, rows, top, filepath.Base(path))
	})
}
