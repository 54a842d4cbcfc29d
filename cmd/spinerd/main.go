// Command spinerd simulates the biochemistry of dendritic spines from
// NeuroRD model files. It parses flags and calls the spinerd packages; the
// science lives in those packages. Each command is one file (run.go,
// ensemble.go, …); common.go holds what they share (flags, error reports,
// exit codes, the progress display).
package main

import (
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/spinerd/spinerd/internal/version"
)

type command struct {
	summary string
	usage   string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() map[string]command {
	return map[string]command{
		"compare":     {"compare two ensembles of runs (trajectories, NeuroRD outputs or CSV exports) species by species", "compare A B [flags]", runCompare},
		"ensemble":    {"run many seeds on all cores (resumable, shardable) with a summary of mean, SD and quantiles", "ensemble MODEL.xml --seeds 1-64 [-o DIR] [flags]", runEnsemble},
		"merge":       {"merge the directories of ensemble shards into one", "merge DIR... -o OUT", runMerge},
		"conductance": {"AMPA conductance g (pS) and g/g0 of a run (trajectory, NeuroRD .out or CSV export)", "conductance FILE [--baseline T] [--plot fig.png] [-o table.tsv]", runConductance},
		"evaluate":    {"objectives of a parameter set on one of the paper's fitted data sets", "evaluate --dataset NAME --params FILE.json [flags]", runEvaluate},
		"plasticity":  {"run a plasticity protocol on the spine model and report g/g0", "plasticity --protocol 4xHFS|LFS|... [flags]", runPlasticity},
		"export":      {"convert a run (trajectory, NeuroRD .out or CSV export) to another format", "export FILE --format csv|tsv|npz|neurord|traj [-o OUT] [flags]", runExport},
		"plot":        {"plot species time courses of one or several runs, or a fit's progress", "plot FILE... --species A,B [-o fig.png|fig.svg] [flags]", runPlot},
		"fit":         {"fit the spine model to one of the paper's data sets (Emoo multi-objective evolution, checkpoint/resume)", "fit --dataset NAME [--population N] [--generations G] [flags]", runFit},
		"inspect":     {"summarise a model: species, channels, voxels, stimuli, outputs", "inspect MODEL.xml [flags]", runInspect},
		"mesh":        {"write the voxel mesh of a model", "mesh MODEL.xml [-o mesh.tsv] [flags]", runMesh},
		"run":         {"simulate a model: stochastically (exact SSA, multiscale or adaptive tau-leaping, fixed steps) or deterministically (--method ode)", "run MODEL.xml [flags]", runRun},
		"steady":      {"compute the resting state of a model and write it as NeuroRD initial conditions", "steady MODEL.xml [--clamp A,B] [-o IC.xml] [flags]", runSteady},
		"version":     {"print the spinerd version", "version", runVersion},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 {
			if c, ok := cmds[args[1]]; ok {
				return c.run([]string{"--help"}, stdout, stderr)
			}
		}
		usage(stdout, cmds)
		if len(args) == 0 {
			return exitBadInput
		}
		return exitOK
	}
	if args[0] == "--version" {
		return runVersion(nil, stdout, stderr)
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "spinerd: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return exitBadInput
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintf(w, "spinerd %s: stochastic reaction–diffusion in dendritic spines (NeuroRD models)\n\nUsage: spinerd COMMAND [arguments]\n\nCommands:\n", version.String())
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintf(w, "\nRun 'spinerd COMMAND --help' for a command's flags.\n")
}
