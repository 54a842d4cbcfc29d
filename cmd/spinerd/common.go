package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/pflag"

	"github.com/spinerd/spinerd/diag"
	"github.com/spinerd/spinerd/gillespie"
	"github.com/spinerd/spinerd/internal/hugepages"
	"github.com/spinerd/spinerd/model"
)

// Exit statuses.
const (
	exitOK          = 0
	exitDiffer      = 1   // compare: the ensembles differ
	exitBadInput    = 2   // bad model, bad flags, unwritable output
	exitInterrupted = 130 // Ctrl-C or SIGTERM: what was complete is kept
)

// newFlags makes a flag set whose --help prints the command's usage.
func newFlags(name string, stdout io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SortFlags = false
	c := commands()[name]
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: spinerd %s\n\n%s\n\nFlags:\n%s", c.usage, c.summary, fs.FlagUsages())
	}
	fs.SetOutput(stdout)
	return fs
}

// parse parses flags; done reports that the command should return code.
// Flags whose zero or negative values mean "the default" when left out
// must be positive when given (an explicit --jobs 0 or --tolerance 0 is a
// mistake, not a request for the default); counts and durations whose 0
// means "none" must not be negative.
func parse(fs *pflag.FlagSet, args []string, stderr io.Writer) (code int, done bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK, true
		}
		fmt.Fprintf(stderr, "spinerd %s: %v\n", fs.Name(), err)
		return exitBadInput, true
	}
	bad := false
	fs.Visit(func(f *pflag.Flag) {
		if bad {
			return
		}
		var why string
		switch f.Name {
		case "jobs", "workers":
			if n, err := strconv.Atoi(f.Value.String()); err == nil && n < 1 {
				why = "must be at least 1"
			}
		case "max-steps", "shards":
			if n, err := strconv.Atoi(f.Value.String()); err == nil && n < 0 {
				why = "must be at least 0"
			}
		case "timeout":
			if d, err := time.ParseDuration(f.Value.String()); err == nil && d < 0 {
				why = "must be at least 0"
			}
		case "tolerance", "runtime", "fixed-step", "rtol", "atol":
			if x, err := strconv.ParseFloat(f.Value.String(), 64); err == nil && !(x > 0) {
				why = "must be positive (leave the flag out for the model's value)"
			}
		}
		if why != "" {
			fmt.Fprintf(stderr, "spinerd %s: --%s %s: %s\n", fs.Name(), f.Name, f.Value.String(), why)
			bad = true
		}
	})
	if bad {
		return exitBadInput, true
	}
	return 0, false
}

// badFlag reports a bad flag value and returns exitBadInput.
func badFlag(stderr io.Writer, cmd, flag string, err error) int {
	fmt.Fprintf(stderr, "spinerd %s: --%s: %v\n", cmd, flag, err)
	return exitBadInput
}

// optionFlags names the command-line flag of each model.Options field
// that compilation reports on.
func optionFlag(option string) string {
	switch option {
	case "Method":
		return "--method"
	case "RuntimeMs":
		return "--runtime"
	case "Tolerance":
		return "--tolerance"
	case "FixedStepMs":
		return "--fixed-step"
	}
	return option
}

// report prints diagnostics and returns the exit status for err.
func report(stderr io.Writer, cmd string, warnings diag.List, err error) int {
	for _, w := range warnings {
		fmt.Fprintf(stderr, "%s\n", w)
	}
	if err == nil {
		return exitOK
	}
	var de *diag.Error
	if errors.As(err, &de) {
		list := de.List.RenameOptions(optionFlag)
		fmt.Fprintf(stderr, "spinerd %s: %d error%s:\n", cmd, len(list), map[bool]string{true: "", false: "s"}[len(list) == 1])
		for _, d := range list {
			fmt.Fprintf(stderr, "  %s\n", d)
		}
		return exitBadInput
	}
	fmt.Fprintf(stderr, "spinerd %s: %s\n", cmd, strings.TrimSpace(err.Error()))
	return exitBadInput
}

// oneModel checks that exactly one model argument was given.
func oneModel(cmd string, args []string, stderr io.Writer) (string, bool) {
	if len(args) != 1 {
		fmt.Fprintf(stderr, "spinerd %s: need exactly one MODEL.xml argument (got %d); see 'spinerd %s --help'\n", cmd, len(args), cmd)
		return "", false
	}
	return args[0], true
}

// methodHelp is the help text of a --method flag accepting the methods
// keep selects (all when nil).
func methodHelp(keep func(model.MethodInfo) bool, dflt string) string {
	return model.MethodNames(keep) + " (default: " + dflt + ")"
}

// splitList splits "A,B" into its items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func numCPU() int { return runtime.NumCPU() }

// heapPerVoxelSpecies is what a stochastic run of a spatial model holds at
// its peak per voxel and species (bytes): 4.4–6.2 kB measured by
// benchmarks/scaling for the multiscale method on 108–864 voxels.
const heapPerVoxelSpecies = 6 << 10

// prepareHeap readies the heap for simultaneous stochastic runs of sys:
// backed by huge pages (internal/hugepages: 3–11 % faster on an 864-voxel
// dendrite, no change to any output) unless the environment sets
// SPINERD_HUGEPAGES=off, and, unless the environment sets GOGC, collected
// when it has grown by half rather than doubled (GOGC=50). A run of a
// spatial model builds its tables once and then allocates little, so the
// default target mostly held setup's garbage. Measured with
// benchmarks/scaling's models, default and GOGC=50 alternated: the
// 864-voxel dendrite's first 10 ms peaked at 363 and 345 MB resident
// against 299 and 304 MB (6.97, 6.75 against 7.03, 6.87 s); the 108-voxel
// one's 300 ms at 88 and 85 MB against 74 and 76 MB (4.79, 4.85 against
// 4.73, 4.91 s); an ensemble of two of its 300 ms runs at 182-283 MB
// against 146-156 MB, in the same CPU time (11.6-12.7 against 11.6-12.4
// s, three rounds). GOGC=25 saved more (283 and 132 MB) but cost that
// ensemble about 7 % more CPU time. Small models are left alone.
func prepareHeap(sys *model.System, runs int) {
	if os.Getenv("SPINERD_HUGEPAGES") != "off" {
		hugepages.Back(int64(runs) * int64(sys.NumVoxels()) * int64(len(sys.Species)) * heapPerVoxelSpecies)
	}
	if _, set := os.LookupEnv("GOGC"); !set && sys.NumVoxels() >= spatialGCVoxels {
		debug.SetGCPercent(50)
	}
}

// spatialGCVoxels is the smallest mesh whose runs prepareHeap collects
// more often: the spine model's 108-voxel dendrite.
const spatialGCVoxels = 100

// interruptible returns a context cancelled by Ctrl-C or SIGTERM.
func interruptible() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal the default action is back: a second one
	// ends the process at once, whatever the job is doing.
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progress shows a long job's advance: on a terminal a bar with the
// elapsed time and an ETA once the job has taken 2 s; otherwise, when
// logEvery > 0, a line at most that often. Safe for concurrent use.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	label    string
	total    float64
	enabled  bool
	terminal bool
	logEvery time.Duration
	start    time.Time
	lastLog  time.Time
	// base is the amount done at the first update (a resumed job's
	// earlier work), excluded from the rate.
	base    float64
	started bool
	done    float64
	bar     *progressbar.ProgressBar
}

// newProgress returns a progress display of a job of total units.
func newProgress(w io.Writer, quiet bool, label string, total float64, logEvery time.Duration) *progress {
	now := time.Now()
	return &progress{w: w, label: label, total: total, enabled: !quiet, terminal: isTerminal(w), logEvery: logEvery, start: now, lastLog: now}
}

// eta returns the elapsed time and the estimated time left.
func (p *progress) eta() (elapsed, left time.Duration) {
	elapsed = time.Since(p.start)
	if work := p.done - p.base; work > 0 && p.done < p.total {
		left = time.Duration(float64(elapsed) * (p.total - p.done) / work)
	}
	return elapsed, left
}

// set records that done units of the total are complete; detail is shown
// beside the bar.
func (p *progress) set(done float64, detail string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.started {
		p.started, p.base = true, done
	}
	p.done = done
	if !p.enabled {
		return
	}
	elapsed, left := p.eta()
	times := fmt.Sprintf("%s elapsed", elapsed.Round(time.Second))
	if left > 0 {
		times += fmt.Sprintf(", %s left", left.Round(time.Second))
	}
	desc := p.label
	if detail != "" {
		desc += " " + detail
	}
	if p.terminal {
		if p.bar == nil {
			if elapsed < 2*time.Second {
				return
			}
			p.bar = progressbar.NewOptions64(1000,
				progressbar.OptionSetWriter(p.w),
				progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionSetPredictTime(false), // its clock starts with the bar; ours with the job
				progressbar.OptionClearOnFinish(),
			)
		}
		p.bar.Describe(desc + " (" + times + ")")
		p.bar.Set64(int64(1000 * min(1, done/p.total)))
		return
	}
	if p.logEvery > 0 && (time.Since(p.lastLog) >= p.logEvery || done >= p.total) {
		p.lastLog = time.Now()
		fmt.Fprintf(p.w, "%s: %.0f %%, %s\n", desc, 100*done/p.total, times)
	}
}

// finish removes the bar.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
	}
}

// oneBlockWhy words why the adaptive and multiscale methods run a mesh
// as one block (gillespie.DomainVoxels's reason), and whether --domains
// can cut it.
func oneBlockWhy(reason gillespie.OneBlock) (why string, more bool) {
	switch reason {
	case gillespie.Small:
		return fmt.Sprintf("meshes with ≥ %d voxels outside the spines are cut", gillespie.AutoCutVoxels), true
	case gillespie.Asked:
		return "--domains 1", true
	case gillespie.NoCrossing:
		return "no diffusion crosses the cut", true
	case gillespie.TooFast:
		return "diffusion across the cut is too fast for boundary exchanges (windows under 1 µs)", true
	}
	return "no diffusion between voxels outside spines to cut", false
}

// oneBlockNote words why the adaptive and multiscale methods run sys's
// mesh as one block when --domains is domains ("" when they cut it), with
// a hint that --domains N cuts a mesh spinerd finds too small.
func oneBlockNote(sys *model.System, domains int) string {
	_, _, reason := gillespie.DomainVoxels(sys, domains)
	if reason == gillespie.Cut {
		return ""
	}
	why, _ := oneBlockWhy(reason)
	if reason == gillespie.Small {
		why += " (--domains N cuts smaller meshes)"
	}
	return why
}

// domainsFlag returns the domains (gillespie.Options.Domains) that the
// --domains and --one-block flags of run and ensemble ask for (changed:
// --domains was given), or why sys's method or mesh cannot run them.
func domainsFlag(sys *model.System, domains int, changed, oneBlock bool) (int, error) {
	if oneBlock {
		if changed && domains != 1 {
			return 0, fmt.Errorf("%d contradicts --one-block (which is --domains 1)", domains)
		}
		domains = 1
	}
	return domains, checkDomains(sys, domains)
}

// checkDomains refuses a --domains count that sys's method or mesh cannot
// run.
func checkDomains(sys *model.System, domains int) error {
	switch {
	case domains < 0:
		return fmt.Errorf("%d: a count of domains is 0 (chosen from the mesh), 1 (one block) or more", domains)
	case domains < 2:
		return nil
	case sys.Method != model.MethodAdaptive && sys.Method != model.MethodMultiscale:
		return fmt.Errorf("%d: only the adaptive and multiscale methods run in domains (this run's method is %v)", domains, sys.Method)
	}
	most := gillespie.MaxDomains(sys)
	if most < 2 {
		return fmt.Errorf("%d: this mesh (%d voxels, %d outside spines with diffusion) cannot be cut: domains need diffusion between at least two voxels outside spines", domains, sys.NumVoxels(), most)
	}
	if domains > most {
		return fmt.Errorf("%d: this mesh (%d voxels, %d outside spines) can be cut into at most %d domains", domains, sys.NumVoxels(), most, most)
	}
	return nil
}
