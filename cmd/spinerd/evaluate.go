package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spinerd/spinerd/internal/fileerr"
	"github.com/spinerd/spinerd/models"
	"github.com/spinerd/spinerd/plasticity"
)

func runEvaluate(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("evaluate", stdout)
	dataset := fs.String("dataset", "", "data set caption, e.g. VC-1 (required)")
	params := fs.String("params", "", "JSON file: an object of parameter name → value (required)")
	space := fs.String("param-space", "", "fewer or manyb (default: from the parameter names)")
	variant := fs.String("variant", "", "protocol file variant (default: protocols_many_78withoutCK for fewer, protocols_many for manyb)")
	method := fs.String("method", "ode", "ode (the only engine of the fits)")
	jobs := fs.Int("jobs", 0, "experiments run at once (default: one per core)")
	maxSteps := fs.Int("max-steps", 0, "solver-step budget per experiment (0: none); an exhausted budget gives the missing-data value")
	verbose := fs.BoolP("verbose", "v", false, "also print each experiment's ratios and Ca peak to standard error")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if *dataset == "" || *params == "" || len(fs.Args()) > 0 {
		fmt.Fprintf(stderr, "spinerd evaluate: give --dataset NAME and --params FILE.json\n")
		return exitBadInput
	}
	if *method != "ode" {
		fmt.Fprintf(stderr, "spinerd evaluate: --method %q: the objectives are defined on the deterministic model (ode)\n", *method)
		return exitBadInput
	}
	d, err := plasticity.Load()
	if err != nil {
		return report(stderr, "evaluate", nil, err)
	}
	ds, err := d.Dataset(*dataset)
	if err != nil {
		return report(stderr, "evaluate", nil, err)
	}
	data, err := os.ReadFile(*params)
	if err != nil {
		return report(stderr, "evaluate", nil, fmt.Errorf("--params: %w", fileerr.Cause(err)))
	}
	var p plasticity.Params
	if err := json.Unmarshal(data, &p); err != nil {
		return report(stderr, "evaluate", nil, fmt.Errorf("%s: not a JSON object of parameter name → number: %w", *params, err))
	}
	if *space == "" {
		*space = d.SpaceOf(p)
	}
	sp, ok := d.Spaces[*space]
	if !ok {
		return report(stderr, "evaluate", nil, fmt.Errorf("--param-space %q: use fewer or manyb", *space))
	}
	if *variant == "" {
		*variant = plasticity.DefaultVariant(*space)
	}
	v, err := ds.Variant(*variant)
	if err != nil {
		return report(stderr, "evaluate", nil, err)
	}
	m, _, err := models.SpineModel()
	if err != nil {
		return report(stderr, "evaluate", nil, err)
	}
	if *jobs <= 0 {
		*jobs = numCPU()
	}
	ctx, stop := interruptible()
	defer stop()
	res, err := d.Evaluate(ctx, m, ds, v, sp, p, plasticity.Options{Jobs: *jobs, MaxSteps: *maxSteps})
	if err != nil {
		return report(stderr, "evaluate", nil, fmt.Errorf("%s: %w", *params, err))
	}
	if *verbose {
		for k, e := range res.Experiments {
			if e.Err != nil {
				fmt.Fprintf(stderr, "experiment %d (%s): failed: %v\n", e.ID, v.Labels[k], e.Err)
				continue
			}
			fmt.Fprintf(stderr, "experiment %d (%s): g0 %.4g pS, g/g0 %v at %v ms, Ca peak %.4g mM, %d steps\n", e.ID, v.Labels[k], e.GBaselinePS, fmtFloats(e.Ratios), ds.TargetTimesMs, e.CaPeakMM, e.Steps)
		}
	}
	out, _ := json.Marshal(map[string]any{"objectives": res.Objectives})
	fmt.Fprintln(stdout, string(out))
	return exitOK
}

func fmtFloats(x []float64) string {
	s := make([]string, len(x))
	for i, v := range x {
		s[i] = strconv.FormatFloat(v, 'f', 4, 64)
	}
	return "[" + strings.Join(s, " ") + "]"
}
