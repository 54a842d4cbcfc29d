package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spinerd/spinerd/deterministic"
	"github.com/spinerd/spinerd/internal/atomicfile"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
)

func runSteady(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("steady", stdout)
	clamp := fs.String("clamp", "", "species excluded from the fixed-point equations, their amounts set by their conserved moieties (e.g. Pip2, which the sinks drain)")
	hold := fs.String("hold", "", "species held at their initial amounts")
	target := fs.Float64("residual", 1e-12, "target: largest |dx/dt| of a free species, nM/ms")
	out := fs.StringP("output", "o", "", "write the state as a NeuroRD <InitialConditions> file (nM) to include in a model")
	quiet := fs.BoolP("quiet", "q", false, "no report")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if !(*target > 0) || math.IsInf(*target, 0) {
		return badFlag(stderr, "steady", "residual", fmt.Errorf("%g nM/ms: want a finite number > 0", *target))
	}
	path, ok := oneModel("steady", fs.Args(), stderr)
	if !ok {
		return exitBadInput
	}
	sys, warns, err := neurord.Compile(path, model.Options{Method: "ode"})
	if err != nil {
		return report(stderr, "steady", warns, err)
	}
	if !*quiet {
		report(stderr, "steady", warns, nil)
	}
	if len(sys.Stimuli) > 0 && !*quiet {
		fmt.Fprintf(stderr, "spinerd steady: the model's %d stimuli are ignored (the resting state is without input)\n", len(sys.Stimuli))
	}
	res, err := deterministic.SteadyState(sys, nil, deterministic.SteadyOptions{Clamp: splitList(*clamp), Hold: splitList(*hold), ResidualNMPerMs: *target})
	if res == nil && err != nil {
		return report(stderr, "steady", nil, err)
	}
	if !*quiet || err != nil {
		fmt.Fprintf(stdout, "method: %s (%d Newton iterations", res.Method, res.Iterations)
		if res.IntegratedMs > 0 {
			fmt.Fprintf(stdout, " after integrating %g ms", res.IntegratedMs)
		}
		fmt.Fprintf(stdout, ")\nresidual: %.3g nM/ms (largest |dx/dt| of a free species, at %s)\n", res.ResidualNMPerMs, res.Worst)
		fmt.Fprintf(stdout, "conservation laws: %d (largest relative violation %.2g)\n", res.ConservationLaws, res.ConservationResidual)
		fmt.Fprintf(stdout, "sinks excluded: %s\n", listOrNone(res.Sinks))
		fmt.Fprintf(stdout, "clamped: %s\n", listOrNone(res.Clamped))
		fmt.Fprintf(stdout, "held: %s\n", listOrNone(res.Held))
		fmt.Fprintf(stdout, "species at zero: %d\n", len(res.Zero))
	}
	if err != nil {
		return report(stderr, "steady", nil, err)
	}
	if *out != "" {
		sets, nonUniform := concentrationSets(sys, res.State)
		if nonUniform != "" {
			fmt.Fprintf(stderr, "spinerd steady: warning: %s varies between voxels of one region; the file holds region means\n", nonUniform)
		}
		comment := fmt.Sprintf("resting state of %s computed by spinerd steady (clamp %s, hold %s); residual %.3g nM/ms",
			filepath.Base(path), listOrNone(res.Clamped), listOrNone(res.Held), res.ResidualNMPerMs)
		if err := atomicfile.Write(*out, func(w io.Writer) error { return neurord.WriteInitialConditions(w, comment, sets) }); err != nil {
			return report(stderr, "steady", nil, err)
		}
		if !*quiet {
			fmt.Fprintf(stdout, "wrote %s\n", *out)
		}
	}
	return exitOK
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

// concentrationSets turns a state (molecules per voxel) into nM per region
// (one set without a region when the mesh has a single region), and names
// a species whose concentration differs between voxels of a region.
func concentrationSets(sys *model.System, y []float64) ([]neurord.ConcentrationSet, string) {
	ns := len(sys.Species)
	byRegion := map[string][]int{}
	for v := range sys.Mesh.Voxels {
		r := sys.Mesh.Voxels[v].Region
		byRegion[r] = append(byRegion[r], v)
	}
	regions := make([]string, 0, len(byRegion))
	for r := range byRegion {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	nonUniform := ""
	var sets []neurord.ConcentrationSet
	for _, r := range regions {
		set := neurord.ConcentrationSet{Region: r}
		if len(regions) == 1 {
			set.Region = ""
		}
		for s := 0; s < ns; s++ {
			mol, omega := 0.0, 0.0
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, v := range byRegion[r] {
				mol += y[v*ns+s]
				omega += sys.Omega(v)
				c := y[v*ns+s] / sys.Omega(v)
				lo, hi = math.Min(lo, c), math.Max(hi, c)
			}
			c := math.Max(mol/omega, 0)
			if hi-lo > 1e-6*math.Max(hi, 1e-12) && nonUniform == "" {
				nonUniform = sys.Species[s].ID
			}
			set.Species = append(set.Species, sys.Species[s].ID)
			set.NM = append(set.NM, c)
		}
		sets = append(sets, set)
	}
	return sets, nonUniform
}
