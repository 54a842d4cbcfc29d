package main

import (
	"io"

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
	if err := model.Describe(stdout, sys, warns, s); err != nil {
		return report(stderr, "inspect", nil, err)
	}
	return exitOK
}
