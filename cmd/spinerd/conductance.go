package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"

	"github.com/spinerd/spinerd/ampa"
	"github.com/spinerd/spinerd/internal/atomicfile"
	"github.com/spinerd/spinerd/plasticity"
	"github.com/spinerd/spinerd/plot"
)

func runConductance(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("conductance", stdout)
	baseline := fs.Float64("baseline", math.NaN(), "time (ms) of the reference conductance: the last sample at or before it (default: the first sample)")
	assembly := fs.String("assembly", "tetramer", "tetramer (random tetramers) or dimer (dimers of like dimers)")
	plotOut := fs.String("plot", "", "write a figure of g and g/g0 against time (.png or .svg) instead of the table")
	out := fs.StringP("output", "o", "", "write the table to this file (default: standard output)")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if len(fs.Args()) != 1 {
		fmt.Fprintf(stderr, "spinerd conductance: give one trajectory, NeuroRD .out or CSV export\n")
		return exitBadInput
	}
	path := fs.Args()[0]
	am, err := ampa.ParseModel(*assembly)
	if err != nil {
		return badFlag(stderr, "conductance", "assembly", err)
	}
	s, err := plasticity.FromFile(path, am)
	if err != nil {
		return report(stderr, "conductance", nil, err)
	}
	if s.Clamped > 0 {
		fmt.Fprintf(stderr, "spinerd conductance: %d samples had negative receptor counts (set to 0)\n", s.Clamped)
	}
	rel, t0, err := s.Relative(*baseline)
	if err != nil {
		return badFlag(stderr, "conductance", "baseline", err)
	}
	if *plotOut != "" {
		format, err := plot.FormatOf(*plotOut)
		if err != nil {
			return report(stderr, "conductance", nil, err)
		}
		err = atomicfile.Write(*plotOut, func(w io.Writer) error {
			return plot.Lines(w, format, s.TimesMs, [][]float64{s.GPS, rel}, []string{"g (pS)", fmt.Sprintf("g / g(%g ms)", t0)}, filepath.Base(path))
		})
		if err != nil {
			return report(stderr, "conductance", nil, err)
		}
		fmt.Fprintf(stderr, "wrote %s\n", *plotOut)
		return exitOK
	}
	write := func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		fmt.Fprintf(bw, "time_ms\tg_pS\tg_rel\n")
		for i, t := range s.TimesMs {
			fmt.Fprintf(bw, "%s\t%s\t%s\n", strconv.FormatFloat(t, 'g', -1, 64), strconv.FormatFloat(s.GPS[i], 'g', 10, 64), strconv.FormatFloat(rel[i], 'g', 10, 64))
		}
		return bw.Flush()
	}
	if *out == "" {
		err = write(stdout)
	} else {
		err = atomicfile.Write(*out, write)
	}
	if err != nil {
		return report(stderr, "conductance", nil, err)
	}
	return exitOK
}
