package main

import (
	"fmt"
	"io"

	"github.com/spinerd/spinerd/internal/atomicfile"
	"github.com/spinerd/spinerd/mesh"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
)

// oneModel checks that exactly one model argument was given.
func oneModel(cmd string, fs []string, stderr io.Writer) (string, bool) {
	if len(fs) != 1 {
		fmt.Fprintf(stderr, "spinerd %s: need exactly one MODEL.xml argument (got %d); see 'spinerd %s --help'\n", cmd, len(fs), cmd)
		return "", false
	}
	return fs[0], true
}

func runInspect(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("inspect", stdout)
	seed := fs.Uint64("seed", 0, "seed for rounding initial counts (default: the model's simulationSeed, else 1)")
	method := fs.String("method", "", "override the model's method: exact, adaptive, multiscale, fixed or ode")
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

func runMesh(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("mesh", stdout)
	out := fs.StringP("output", "o", "", "write to this file instead of standard output (written atomically)")
	format := fs.String("format", "tsv", "tsv (full precision, with neighbours and couplings) or neurord (NeuroRD's -mesh.txt.out layout)")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	path, ok := oneModel("mesh", fs.Args(), stderr)
	if !ok {
		return exitBadInput
	}
	var write func(io.Writer, *mesh.Mesh) error
	switch *format {
	case "tsv":
		write = mesh.WriteTSV
	case "neurord":
		write = func(w io.Writer, m *mesh.Mesh) error { return neurord.WriteMeshText(w, neurord.MeshVoxels(m)) }
	default:
		fmt.Fprintf(stderr, "spinerd mesh: unknown --format %q (use tsv or neurord)\n", *format)
		return exitBadInput
	}
	m, warns, err := neurord.Load(path)
	if err != nil {
		return report(stderr, "mesh", warns, err)
	}
	msh, mwarns, err := mesh.Discretize(&m.Morphology, m.Discretization)
	warns = append(warns, mwarns...)
	if err != nil {
		return report(stderr, "mesh", warns, err)
	}
	report(stderr, "mesh", warns, nil)
	if *out == "" {
		err = write(stdout, msh)
	} else {
		err = atomicfile.Write(*out, func(w io.Writer) error { return write(w, msh) })
	}
	if err != nil {
		return report(stderr, "mesh", nil, err)
	}
	return exitOK
}
