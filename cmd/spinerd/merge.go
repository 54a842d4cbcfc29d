package main

import (
	"fmt"
	"io"

	"github.com/spinerd/spinerd/ensemble"
)

func runMerge(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("merge", stdout)
	out := fs.StringP("output", "o", "", "directory of the merged ensemble (required)")
	quiet := fs.BoolP("quiet", "q", false, "no summary")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if *out == "" || len(fs.Args()) == 0 {
		fmt.Fprintf(stderr, "spinerd merge: give the shard directories and -o OUT\n")
		return exitBadInput
	}
	m, err := ensemble.Merge(fs.Args(), *out, nil)
	if err != nil {
		return report(stderr, "merge", nil, err)
	}
	if !*quiet {
		fmt.Fprintf(stderr, "merged %d directories: seeds %s of %s into %s\n", len(fs.Args()), m.Seeds, m.ModelSource, *out)
	}
	return exitOK
}
