package main

import (
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/spinerd/spinerd/compare"
	"github.com/spinerd/spinerd/runfile"
)

func runCompare(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("compare", stdout)
	times := fs.String("times", "", "output times in ms, comma-separated (default: 6 evenly spaced output times)")
	minMean := fs.Float64("min-mean", 10, "compare species whose mean exceeds this many molecules in either ensemble")
	maxZ := fs.Float64("max-z", 6, "exit with status 1 when some |z| exceeds this")
	quiet := fs.BoolP("quiet", "q", false, "print only the summary")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if !(*maxZ >= 0) { // +Inf: report, never fail
		return badFlag(stderr, "compare", "max-z", fmt.Errorf("%g: want a number ≥ 0", *maxZ))
	}
	if math.IsNaN(*minMean) || math.IsInf(*minMean, 0) {
		return badFlag(stderr, "compare", "min-mean", fmt.Errorf("%g: want a finite number of molecules", *minMean))
	}
	if len(fs.Args()) != 2 {
		fmt.Fprintf(stderr, "spinerd compare: need two ensembles A and B (files, comma lists, globs or folders); see 'spinerd compare --help'\n")
		return exitBadInput
	}
	a, err := runfile.Expand(fs.Args()[0])
	if err != nil {
		return report(stderr, "compare", nil, err)
	}
	b, err := runfile.Expand(fs.Args()[1])
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
		return exitDiffer
	}
	return exitOK
}
