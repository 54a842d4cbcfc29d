package main

import (
	"fmt"
	"io"

	"github.com/spinerd/spinerd/ensemble"
)

func runMerge(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("merge", stdout)
	out := fs.StringP("output", "o", "", "the merged ensemble's directory, or with --format h5 the HDF5 file (required)")
	format := fs.String("format", "traj", "traj (a directory as one run of the whole study writes) or h5 (one NeuroRD HDF5 file with a trial per seed: trial0, trial1, … in seed-list order)")
	quiet := fs.BoolP("quiet", "q", false, "no summary")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if *out == "" || len(fs.Args()) == 0 {
		fmt.Fprintf(stderr, "spinerd merge: give the shard directories and -o OUT\n")
		return exitBadInput
	}
	var m *ensemble.Manifest
	var err error
	switch *format {
	case "traj":
		m, err = ensemble.Merge(fs.Args(), *out, nil)
	case "h5":
		m, err = ensemble.GatherH5(fs.Args(), *out)
	default:
		return badFlag(stderr, "merge", "format", fmt.Errorf("%q: use traj or h5", *format))
	}
	if err != nil {
		return report(stderr, "merge", nil, err)
	}
	if !*quiet {
		fmt.Fprintf(stderr, "merged %d directories: seeds %s of %s into %s\n", len(fs.Args()), m.Seeds, m.ModelSource, *out)
	}
	return exitOK
}
