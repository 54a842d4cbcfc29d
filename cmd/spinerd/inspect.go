package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spinerd/spinerd/gillespie"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
)

func runInspect(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("inspect", stdout)
	seed := fs.Uint64("seed", 0, "seed for rounding initial counts (default: the model's simulationSeed, else 1)")
	method := fs.String("method", "", "override the model's method: "+methodHelp(nil, "the model's <calculation>"))
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	path, ok := oneModel("inspect", fs.Args(), stderr)
	if !ok {
		return exitBadInput
	}
	sys, warns, err := neurord.Compile(path, model.Options{Method: *method})
	if err != nil {
		return report(stderr, "inspect", warns, err)
	}
	s := *seed
	if s == 0 {
		s = uint64(sys.Seed)
		if s == 0 {
			s = 1
		}
	}
	var notes []string
	if sys.Method == model.MethodAdaptive || sys.Method == model.MethodMultiscale {
		notes = append(notes, describeDomains(sys))
	}
	if err := model.Describe(stdout, sys, warns, s, notes...); err != nil {
		return report(stderr, "inspect", nil, err)
	}
	return exitOK
}

// describeDomains says, for inspect, how spinerd run cuts sys's mesh into domains by
// default, and how many --domains can ask for.
func describeDomains(sys *model.System) string {
	most := gillespie.MaxDomains(sys)
	if most < 2 {
		why, _ := oneBlockWhy(gillespie.NoDiffusion)
		return fmt.Sprintf("domains: one block (%s)", why)
	}
	voxels, windowMs, reason := gillespie.DomainVoxels(sys, 0)
	if voxels == nil {
		why, more := oneBlockWhy(reason)
		if more {
			return fmt.Sprintf("domains: one block (%s; run --domains N cuts this one into 2 to %d)", why, most)
		}
		return fmt.Sprintf("domains: one block (%s)", why)
	}
	sizes := make([]string, len(voxels))
	for k, v := range voxels {
		sizes[k] = strconv.Itoa(v)
	}
	return fmt.Sprintf("domains: %d of %s voxels, boundary exchange windows of ≥ %s ms (run --domains N takes 1 to %d)", len(voxels), strings.Join(sizes, ", "), strconv.FormatFloat(windowMs, 'g', 3, 64), most)
}
