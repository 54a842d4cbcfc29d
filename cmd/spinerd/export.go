package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spinerd/spinerd/output"
	"github.com/spinerd/spinerd/runfile"
)

func runExport(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("export", stdout)
	format := fs.String("format", "csv", formatSummaries(func(output.Format) bool { return true }))
	species := fs.String("species", "", "species ids to export, comma-separated (default: all of the set; csv, tsv, npz)")
	voxels := fs.String("voxels", "", "voxels to export, e.g. 0,3-5 (default: all of the set; csv, tsv, npz)")
	sum := fs.Bool("sum-voxels", false, "sum over the selected voxels (csv, tsv, npz)")
	set := fs.Int("set", 0, "output set (0: the main output; 1…: the model's <OutputSet>s; csv, tsv, npz)")
	out := fs.StringP("output", "o", "", "output file (csv/tsv: default standard output; neurord: base name O)")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if len(fs.Args()) != 1 {
		fmt.Fprintf(stderr, "spinerd export: need exactly one run file (a trajectory, NeuroRD .out or CSV export); see 'spinerd export --help'\n")
		return exitBadInput
	}
	f, err := output.FormatByName(*format)
	if err != nil {
		return badFlag(stderr, "export", "format", err)
	}
	if *out == "" && !f.ToStdout {
		return badFlag(stderr, "export", "output", fmt.Errorf("--format %s writes files: give -o", f.Name))
	}
	sel := output.Selection{Set: *set, Species: splitList(*species), Sum: *sum}
	r, err := runfile.Open(fs.Args()[0])
	if err != nil {
		return report(stderr, "export", nil, err)
	}
	defer r.Close()
	if *voxels != "" {
		v, err := output.ParseVoxels(*voxels, len(r.Header().Voxels))
		if err != nil {
			return badFlag(stderr, "export", "voxels", err)
		}
		sel.Voxels = v
	}
	if cut, msg := r.Truncated(); cut {
		fmt.Fprintf(stderr, "spinerd export: warning: %s\n", msg)
	}
	names, err := f.Export(r, sel, *out, stdout)
	if err != nil {
		return report(stderr, "export", nil, err)
	}
	if !f.ToStdout {
		fmt.Fprintf(stderr, "wrote %s\n", strings.Join(names, ", "))
	}
	return exitOK
}
