// Command scaling measures how spinerd's cost grows with a spatial model and
// with workers: the Mäki-Marttunen 2020 chemistry (Reactions.xml and
// IC_singlecompartment.xml of
// ../shared/reference/neurord-3.3/spine2020_dend, unchanged) on dendrites of
// 3, 6, 12 and 24 µm carrying 3, 6, 12 and 24 mushroom spines — the
// morphology, discretisation and burst of spine2020_dend — with the burst
// into one spine ("one") or into every spine ("all", each spine getting the
// one spine's rates). It writes the NeuroRD model files (-keep DIR keeps
// them), runs each with --workers 1 and 2 (and -check-workers 8,16 for byte-
// identical outputs and their overhead; it exits with status 1 when an
// output differs), and reports wall time per simulated second, events and
// leaps per voxel, peak memory (also per voxel and species: the peak
// resident set over voxels × species, in bytes), parallel efficiency (from
// wall and from CPU time), and what the measured serial fraction predicts
// for 16 and 64 cores (Amdahl for a fixed model, with no more cores busy
// than the run has domains and no more speed-up of their work than its
// ratio to its critical path, both from the one-worker run's summary;
// Gustafson for a model grown with the cores). The first one-worker run of
// each model also writes spinerd run --timing, from which it reports each
// phase apart — the rest (100-500 ms, after the start's transient), the
// burst (500-700 ms) and after it — as wall time per simulated ms, single
// events per voxel and ms, and wall time per single event, and for the
// smallest and largest dendrite their ratios phase by phase; and
// spinerd run --firings (firings.csv beside it), from which it reports the
// channel classes that fired the most single events, per voxel of the
// mesh: what grows with the dendrite.
//
// -chemistry calcium keeps only the model's calcium handling (its pumps,
// leak, calbindin, calmodulin's three calcium bindings and the fixed
// buffer: 11 reactions, 16 species) and only the burst's calcium: a
// lighter chemistry on the same meshes, to measure where domains pay off
// for a model with less work per voxel.
//
// -beside-one-block runs each model also as one block on one worker, in
// the same loop as the domains' runs (one block, then one and two
// workers, -repeat times), and reports the domains' speed relative to
// it: the break-even of the domains, from one invocation. -domains N
// passes --domains N to spinerd run (a cut spinerd would not choose, to
// measure below its threshold); -one-block is -domains 1.
//
//	go run ./benchmarks/scaling [-sizes 3,6,12,24] [-patterns one,all] [-chemistry spine|calcium] [-runtime 1000] [-method M] [-one-block | -domains N] [-beside-one-block] [-repeat 1] [-check-workers 8,16] [-keep DIR]
package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spinerd/spinerd/firings"
)

func die(err error) {
	fmt.Fprintln(os.Stderr, "scaling:", err)
	os.Exit(1)
}

// morphology returns the morphology of an L µm dendrite with n spines:
// NeuroRD places ceil(density·length) spines, and density 0.99 per µm
// gives exactly n = L for L ≤ 99.
func morphology(lengthUm int) string {
	return fmt.Sprintf(`<Morphology>
    <SpineType id="mushroom">
        <Section width="0.15" at="0.0"  regionClass="neck"/>
        <Section width="0.15" at="0.45" regionClass="neck"/>
        <Section width="0.45" at="0.6"  regionClass="head"/>
        <Section width="0.6"  at="0.85" regionClass="head"/>
        <Section width="0.55" at="0.98" regionClass="PSD"/>
        <Section width="0.3"  at="1.1"  label="pointA"/>
    </SpineType>
    <SpineAllocation id="sa1" spineType="mushroom" region="dendrite" lengthDensity="0.99"/>
    <Segment id="seg1" region="dendrite">
        <start x="1.0" y="1.0" z="0.0" r="0.5"/>
        <end   x="%d.0" y="1.0" z="0.0" r="0.5"/>
    </Segment>
</Morphology>
`, 1+lengthUm)
}

// stimulation is spine2020_dend's burst (20 pulses of 3 ms at 100 Hz from
// 500 ms) into spine 1's PSD, or into every spine's (rates × spines, split
// equally by the site sa1[*].pointA).
func stimulation(pattern string, spines int, keep func(species string) bool) string {
	site, scale := "sa1[1].pointA", 1.0
	if pattern == "all" {
		site, scale = "sa1[*].pointA", float64(spines)
	}
	var b strings.Builder
	b.WriteString("<StimulationSet>\n")
	for _, s := range []struct {
		id   string
		rate float64
	}{{"Ca", 1900}, {"L", 10}, {"Glu", 20}, {"ACh", 20}} {
		if !keep(s.id) {
			continue
		}
		fmt.Fprintf(&b, `<InjectionStim specieID="%s" injectionSite="%s"><onset>500.0</onset><duration>3.0</duration><rate>%g</rate><period>10.0</period><end>693.0</end><interTrainInterval>0.0</interTrainInterval><numTrains>1</numTrains></InjectionStim>
`, s.id, site, s.rate*scale)
	}
	b.WriteString("</StimulationSet>\n")
	return b.String()
}

// calciumReactions are the reactions (ids in Reactions.xml) that
// -chemistry calcium keeps.
var calciumReactions = map[string]bool{
	"Ca_pump1a": true, "Ca_pump1b": true, "Ca_pump2a": true, "Ca_pump2b": true,
	"Ca_leaka": true, "Ca_leakb": true, "Ca_Buffer": true, "Ca_fixedBuffer": true,
	"CaM_bind": true, "CaMCa2_bind": true, "CaMCa3_bind": true,
}

var (
	reactionRE = regexp.MustCompile(`(?s)<Reaction\s[^>]*>.*?</Reaction>`)
	specieRE   = regexp.MustCompile(`<Specie\s[^>]*/>`)
	idRE       = regexp.MustCompile(`\bid="([^"]+)"`)
	specieIDRE = regexp.MustCompile(`specieID="([^"]+)"`)
)

// calcium cuts the reaction scheme to calciumReactions and the species
// they involve, and the initial conditions to those species (one element
// per line, as in spine2020_dend's file); keep reports whether a species
// stays.
func calcium(reactions, ic []byte) (outR, outIC []byte, keep func(string) bool, err error) {
	species := map[string]bool{}
	var kept []string
	for _, r := range reactionRE.FindAll(reactions, -1) {
		if id := idRE.FindSubmatch(r); id != nil && calciumReactions[string(id[1])] {
			kept = append(kept, string(r))
			for _, m := range specieIDRE.FindAllSubmatch(r, -1) {
				species[string(m[1])] = true
			}
		}
	}
	if len(kept) != len(calciumReactions) {
		return nil, nil, nil, fmt.Errorf("-chemistry calcium: found %d of its %d reactions in Reactions.xml", len(kept), len(calciumReactions))
	}
	var b strings.Builder
	b.WriteString("<ReactionScheme>\n")
	for _, sp := range specieRE.FindAll(reactions, -1) {
		if id := idRE.FindSubmatch(sp); id != nil && species[string(id[1])] {
			fmt.Fprintf(&b, "  %s\n", sp)
		}
	}
	for _, r := range kept {
		fmt.Fprintf(&b, "  %s\n", r)
	}
	b.WriteString("</ReactionScheme>\n")
	var c strings.Builder
	for _, line := range strings.Split(string(ic), "\n") {
		if m := specieIDRE.FindStringSubmatch(line); m != nil && !species[m[1]] {
			continue
		}
		fmt.Fprintln(&c, line)
	}
	return []byte(b.String()), []byte(c.String()), func(s string) bool { return species[s] }, nil
}

func modelFile(morph, stim string, runtimeMs float64) string {
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<SDRun xmlns:xi="http://www.w3.org/2001/XInclude" xmlns="http://stochdiff.textensor.org">
    <xi:include href="Reactions.xml" />
    <xi:include href="%s" />
    <xi:include href="%s" />
    <xi:include href="IC_singlecompartment.xml" />
    <geometry>2D</geometry>
    <depth2D>0.5</depth2D>
    <simulationSeed>1</simulationSeed>
    <runtime>%g</runtime>
    <spineSeed>13</spineSeed>
    <discretization>
      <defaultMaxElementSide>0.2</defaultMaxElementSide>
      <spineDeltaX>0.1</spineDeltaX>
    </discretization>
    <tolerance>0.01</tolerance>
    <outputInterval>10</outputInterval>
    <calculation>GRID_ADAPTIVE</calculation>
</SDRun>
`, morph, stim, runtimeMs)
}

type result struct {
	wall, cpu     float64 // s
	maxRSSMB      float64
	events, leaps float64
	domains       int     // blocks that can run at once (1: one block)
	bound         float64 // the domains' work over its critical path (0: not printed)
	out           [32]byte
	timing        []tally      // spinerd run --timing, when asked for
	busiest       []classCount // and the busiest classes of its --firings
}

// tally is a row of spinerd run --timing: simulated ms, wall s, single
// events so far.
type tally struct{ tMs, wallS, events float64 }

// phases are the parts of the run whose cost is reported apart: the rest
// after the start's transient, the burst (its pulses from 500 ms to 693
// ms, and their wake to 700 ms), and after it.
var phases = []struct {
	name         string
	fromMs, toMs float64
}{{"rest", 100, 500}, {"burst", 500, 700}, {"after", 700, math.Inf(1)}}

// phase returns, for phase [from, to) cut to the run's end, the wall time
// (s) and single events between the rows at its ends, and its length
// (ms); ok is false when the run does not reach into it.
func phase(rows []tally, from, to float64) (wallS, events, lenMs float64, ok bool) {
	at := func(t float64) (tally, bool) {
		for i := len(rows) - 1; i >= 0; i-- {
			if rows[i].tMs <= t {
				return rows[i], true
			}
		}
		return tally{}, false
	}
	if len(rows) == 0 {
		return 0, 0, 0, false
	}
	to = math.Min(to, rows[len(rows)-1].tMs)
	a, okA := at(from)
	b, okB := at(to)
	if !okA || !okB || !(b.tMs > a.tMs) {
		return 0, 0, 0, false
	}
	return b.wallS - a.wallS, b.events - a.events, b.tMs - a.tMs, true
}

func readTiming(path string) ([]tally, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rows []tally
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if i == 0 {
			continue // the header
		}
		f := strings.Split(line, ",")
		if len(f) < 3 {
			return nil, fmt.Errorf("%s: row %q", path, line)
		}
		var r tally
		var err1, err2, err3 error
		r.tMs, err1 = strconv.ParseFloat(f[0], 64)
		r.wallS, err2 = strconv.ParseFloat(f[1], 64)
		r.events, err3 = strconv.ParseFloat(f[2], 64)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("%s: row %q: %w", path, line, err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

var (
	summaryRE = regexp.MustCompile(`simulated [0-9.e+]+ ms in [0-9.]+ s: ([0-9]+) single events, ([0-9]+) leaps`)
	domainsRE = regexp.MustCompile(`domains: ([0-9]+),`)
	boundRE   = regexp.MustCompile(`a core per domain runs it at most ([0-9.]+)×`)
)

// runOnce runs spinerd on model; domains is its --domains (0: left out).
func runOnce(bin, model, method string, domains, workers int, out, timing string) (result, error) {
	args := []string{"run", model, "--workers", strconv.Itoa(workers), "-o", out}
	if timing != "" {
		args = append(args, "--timing", timing, "--firings", firingsBeside(timing))
	}
	if method != "" {
		args = append(args, "--method", method)
	}
	if domains != 0 {
		args = append(args, "--domains", strconv.Itoa(domains))
	}
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t0 := time.Now()
	err := cmd.Run()
	r := result{wall: time.Since(t0).Seconds()}
	if err != nil {
		return r, fmt.Errorf("%v: %v\n%s", args, err, stderr.String())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r.cpu = float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
	r.maxRSSMB = float64(ru.Maxrss) / 1024
	if m := summaryRE.FindStringSubmatch(stderr.String()); m != nil {
		r.events, _ = strconv.ParseFloat(m[1], 64)
		r.leaps, _ = strconv.ParseFloat(m[2], 64)
	}
	r.domains = 1
	if m := domainsRE.FindStringSubmatch(stderr.String()); m != nil {
		r.domains, _ = strconv.Atoi(m[1])
	}
	if m := boundRE.FindStringSubmatch(stderr.String()); m != nil {
		r.bound, _ = strconv.ParseFloat(m[1], 64)
	}
	// The header records the creation time: compare the frames (the
	// exported CSV) instead of the file's bytes.
	csv, err := exec.Command(bin, "export", out).Output()
	if err != nil {
		return r, err
	}
	r.out = sha256.Sum256(csv)
	if timing != "" {
		if r.timing, err = readTiming(timing); err != nil {
			return r, err
		}
		if r.busiest, err = busiest(firingsBeside(timing), 5); err != nil {
			return r, err
		}
	}
	return r, nil
}

// firingsBeside is the --firings table written beside a --timing file.
func firingsBeside(timing string) string { return filepath.Join(filepath.Dir(timing), "firings.csv") }

// busiest returns the n channel classes of a --firings table with the
// most single events over the run, and their counts.
func busiest(path string, n int) ([]classCount, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := firings.Read(f, path)
	if err != nil {
		return nil, err
	}
	top, _ := firings.Busiest(rows, n)
	var out []classCount
	for _, c := range top {
		out = append(out, classCount{c.Class.Label(), float64(c.Single)})
	}
	return out, nil
}

// classCount is a channel class and its single events.
type classCount struct {
	label  string
	single float64
}

func median(x []float64) float64 {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// ints parses a comma-separated list of positive integers (name: the
// flag, for an error).
func ints(name, s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			n, err := strconv.Atoi(f)
			if err != nil || n < 1 {
				die(fmt.Errorf("%s: %q is not a positive whole number", name, f))
			}
			out = append(out, n)
		}
	}
	return out
}

func main() {
	sizes := flag.String("sizes", "3,6,12,24", "dendrite lengths in µm (= spines)")
	patterns := flag.String("patterns", "one,all", "burst into one spine, all spines, or both")
	runtimeMs := flag.Float64("runtime", 1000, "simulated ms (the burst is at 500–693 ms)")
	method := flag.String("method", "", "method (default: the file's, GRID_ADAPTIVE)")
	oneBlock := flag.Bool("one-block", false, "run the adaptive and multiscale methods as one block (spinerd run --one-block), not in domains")
	domains := flag.Int("domains", 0, "spinerd run --domains N: cut every dendrite into N domains (0: spinerd's choice)")
	beside := flag.Bool("beside-one-block", false, "also run each model as one block on one worker, alternating with the domains' runs,\nand report the domains' speed on 1 and 2 workers relative to it")
	repeat := flag.Int("repeat", 1, "runs per setting (medians are reported)")
	check := flag.String("check-workers", "8,16", "more worker counts run once for identical output and overhead (empty: none)")
	keep := flag.String("keep", "", "write the model files here and keep them")
	shared := flag.String("shared", os.Getenv("SPINERD_SHARED"), "the shared folder (default ../shared)")
	chemistry := flag.String("chemistry", "spine", "spine: the whole model; calcium: its calcium handling only (11 reactions, 16 species)")
	flag.Parse()
	switch {
	case !(*runtimeMs > 0) || math.IsInf(*runtimeMs, 0):
		die(fmt.Errorf("-runtime %g: want a positive number of ms", *runtimeMs))
	case *repeat < 1:
		die(fmt.Errorf("-repeat %d: want at least 1", *repeat))
	case *domains < 0:
		die(fmt.Errorf("-domains %d: want 0 (spinerd's choice) or a count", *domains))
	}
	sizeList, checkList, patternList := ints("-sizes", *sizes), ints("-check-workers", *check), strings.Split(*patterns, ",")
	if len(sizeList) == 0 {
		die(fmt.Errorf("-sizes: no size given"))
	}
	for _, pattern := range patternList {
		if pattern != "one" && pattern != "all" {
			// stimulation() treats any other name as "one": the files and
			// rows would carry that name over the one-spine stimulus
			die(fmt.Errorf("-patterns: %q is not a pattern (one, all)", pattern))
		}
	}
	if *oneBlock {
		if *domains > 1 {
			die(fmt.Errorf("-one-block contradicts -domains %d", *domains))
		}
		*domains = 1
	}
	differ := false // some output depended on the number of workers
	if *shared == "" {
		*shared = "../shared"
	}
	src := filepath.Join(*shared, "reference", "neurord-3.3", "spine2020_dend", "inputs")
	dir := *keep
	if dir == "" {
		d, err := os.MkdirTemp("", "scaling")
		if err != nil {
			die(err)
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		die(err)
	}
	files := map[string][]byte{}
	for _, f := range []string{"Reactions.xml", "IC_singlecompartment.xml"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			die(err)
		}
		files[f] = b
	}
	keepSpecies := func(string) bool { return true }
	switch *chemistry {
	case "spine":
	case "calcium":
		r, ic, k, err := calcium(files["Reactions.xml"], files["IC_singlecompartment.xml"])
		if err != nil {
			die(err)
		}
		files["Reactions.xml"], files["IC_singlecompartment.xml"], keepSpecies = r, ic, k
	default:
		die(fmt.Errorf("-chemistry %q: want spine or calcium", *chemistry))
	}
	for f, b := range files {
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			die(err)
		}
	}
	bin := filepath.Join(dir, "spinerd")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/spinerd").CombinedOutput(); err != nil {
		die(fmt.Errorf("go build: %v\n%s", err, out))
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("load average: %s", load)
	fmt.Printf("%-6s %-4s %7s %3s %10s %11s %12s %11s %8s %9s %7s %7s\n", "length", "stim", "voxels", "w", "wall s", "s per sim s", "events/vox", "leaps/vox", "peak MB", "B/vox-sp", "eff", "effCPU")
	var t1s, vox1 = map[string]float64{}, map[string]float64{}
	phaseCost := map[string][2]float64{} // per pattern/size/phase: wall s and single events per simulated ms, one worker
	for _, pattern := range patternList {
		for _, L := range sizeList {
			morph := fmt.Sprintf("Morph_dend%dum.xml", L)
			stim := fmt.Sprintf("Stim_%s_%d.xml", pattern, L)
			model := filepath.Join(dir, fmt.Sprintf("Model_dend%dum_%s.xml", L, pattern))
			for name, text := range map[string]string{morph: morphology(L), stim: stimulation(pattern, L, keepSpecies), filepath.Base(model): modelFile(morph, stim, *runtimeMs)} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					die(err)
				}
			}
			info, err := exec.Command(bin, "inspect", model).Output()
			if err != nil {
				die(fmt.Errorf("inspect %s: %v", model, err))
			}
			var nv, ns float64
			lines := strings.Split(string(info), "\n")
			fmt.Sscanf(lines[0], "species: %g", &ns)
			fmt.Sscanf(lines[2], "voxels: %g", &nv)
			res := map[int][]result{}
			var block []result // -beside-one-block: one block, one worker
			for rep := 0; rep < *repeat; rep++ {
				if *beside {
					r, err := runOnce(bin, model, *method, 1, 1, filepath.Join(dir, "block.traj"), "")
					if err != nil {
						die(err)
					}
					block = append(block, r)
				}
				for _, w := range []int{1, 2} { // alternate the worker counts
					timing := ""
					if w == 1 && rep == 0 {
						timing = filepath.Join(dir, "timing.csv")
					}
					r, err := runOnce(bin, model, *method, *domains, w, filepath.Join(dir, "out.traj"), timing)
					if err != nil {
						die(err)
					}
					res[w] = append(res[w], r)
				}
			}
			med := func(w int, f func(result) float64) float64 {
				var x []float64
				for _, r := range res[w] {
					x = append(x, f(r))
				}
				return median(x)
			}
			w1 := med(1, func(r result) float64 { return r.wall })
			c1 := med(1, func(r result) float64 { return r.cpu })
			for _, w := range []int{1, 2} {
				wall := med(w, func(r result) float64 { return r.wall })
				cpu := med(w, func(r result) float64 { return r.cpu })
				eff := w1 / (float64(w) * wall)
				// CPU efficiency: the work of one worker over the CPU time
				// all workers used.
				effCPU := c1 / cpu
				r0 := res[w][0]
				peak := med(w, func(r result) float64 { return r.maxRSSMB })
				fmt.Printf("%-6d %-4s %7.0f %3d %10.2f %11.3f %12.0f %11.0f %8.0f %9.0f %7.3f %7.3f\n", L, pattern, nv, w, wall, wall/(*runtimeMs/1000),
					r0.events/nv, r0.leaps/nv, peak, peak*(1<<20)/(nv*ns), eff, effCPU)
				if res[w][0].out != res[1][0].out {
					fmt.Printf("  OUTPUT DIFFERS between --workers 1 and %d\n", w)
					differ = true
				}
			}
			if len(block) > 0 {
				var bw, bc []float64
				for _, r := range block {
					bw, bc = append(bw, r.wall), append(bc, r.cpu)
				}
				b := median(bw)
				w2 := med(2, func(r result) float64 { return r.wall })
				fmt.Printf("  one block, 1 worker: %.2f s wall, %.2f s CPU (median of %d, alternated with the runs above); %d domain(s) against it: %.2f× its speed on 1 worker, %.2f× on 2 (wall); their CPU time on 1 worker %.2f× its\n",
					b, median(bc), len(block), res[1][0].domains, b/w1, b/w2, c1/median(bc))
			}
			k := fmt.Sprintf("%s/%d", pattern, L)
			t1s[k], vox1[k] = w1/(*runtimeMs/1000), nv
			// Where one worker's time went, phase by phase (its first run's
			// --timing): wall time per simulated ms, single events per
			// voxel and ms, wall time per single event (leaps and window
			// exchanges included).
			var parts []string
			for _, ph := range phases {
				wall, ev, ms, ok := phase(res[1][0].timing, ph.fromMs, ph.toMs)
				if !ok {
					continue
				}
				parts = append(parts, fmt.Sprintf("%s %g-%g ms: %.3f s/ms, %.0f events/voxel/ms, %.2f µs/event", ph.name, ph.fromMs, math.Min(ph.toMs, *runtimeMs), wall/ms, ev/nv/ms, 1e6*wall/ev))
				phaseCost[k+"/"+ph.name] = [2]float64{wall / ms, ev / ms}
			}
			if len(parts) > 0 {
				fmt.Printf("  workers 1 by phase: %s\n", strings.Join(parts, "; "))
			}
			if b := res[1][0].busiest; len(b) > 0 {
				parts = parts[:0]
				for _, c := range b {
					parts = append(parts, fmt.Sprintf("%s %.0f (%.1f %%)", c.label, c.single/nv, 100*c.single/res[1][0].events))
				}
				fmt.Printf("  workers 1, busiest channels (single events per voxel, share): %s\n", strings.Join(parts, "; "))
			}
			// Amdahl from the measured speed-up on 2 workers, with no more
			// cores busy than the run has domains (a fixed model), nor more
			// speed-up from its parallel part than the domains' balance
			// allows (their work over its critical path, timed on one
			// worker); Gustafson for a model grown with the cores (its
			// domains grow with it).
			if dom := float64(res[1][0].domains); dom <= 1 {
				fmt.Printf("  one block: more workers cannot run it faster, on any number of cores\n")
			} else if w2 := med(2, func(r result) float64 { return r.wall }); w2 > 0 {
				s := 2*w2/w1 - 1 // serial fraction: T2 = T1 (s + (1-s)/2)
				note := ""
				switch {
				case s < 0:
					note = " (faster than linear on 2 workers: each core's caches hold its own domains; the serial fraction is below what this run resolves, taken as 0)"
					s = 0
				case s > 1:
					note = " (2 workers were slower: run-to-run spread, taken as 1)"
					s = 1
				}
				bound := dom
				if b := res[1][0].bound; b > 0 {
					bound = min(bound, b)
				}
				amdahl := func(p float64) float64 { p = min(p, bound); return 1 / (s + (1-s)/p) }
				gustafson := func(p float64) float64 { return p - s*(p-1) }
				balance := ""
				if bound < dom {
					balance = fmt.Sprintf(", their work %.2f× its critical path on one worker", bound)
				}
				fmt.Printf("  %g domain(s)%s; serial fraction %.3f%s: Amdahl speed-up %.1f on 16 cores, %.1f on 64; Gustafson (model grown with the cores) %.1f, %.1f\n",
					dom, balance, s, note, amdahl(16), amdahl(64), gustafson(16), gustafson(64))
			}
			for _, w := range checkList {
				r, err := runOnce(bin, model, *method, *domains, w, filepath.Join(dir, "out.traj"), "")
				if err != nil {
					die(err)
				}
				same := "identical"
				if r.out != res[1][0].out {
					same = "DIFFERENT"
					differ = true
				}
				fmt.Printf("  --workers %d on this machine: %.2f s wall, %.2f s CPU (overhead %+.1f%% CPU over one worker), output %s\n", w, r.wall, r.cpu, 100*(r.cpu/c1-1), same)
			}
		}
	}
	for _, pattern := range patternList {
		sz := sizeList
		a, b := fmt.Sprintf("%s/%d", pattern, sz[0]), fmt.Sprintf("%s/%d", pattern, sz[len(sz)-1])
		if t1s[a] > 0 && t1s[b] > 0 {
			fmt.Printf("%s: T%d/T%d = %.2f for V%d/V%d = %.2f (linear cost: ratio ≤ 1.2 × the voxel ratio)\n", pattern, sz[len(sz)-1], sz[0], t1s[b]/t1s[a], sz[len(sz)-1], sz[0], vox1[b]/vox1[a])
		}
		for _, ph := range phases {
			pa, okA := phaseCost[a+"/"+ph.name]
			pb, okB := phaseCost[b+"/"+ph.name]
			if okA && okB && pa[0] > 0 && pa[1] > 0 {
				fmt.Printf("  %s: wall time %.2f×, single events %.2f×, wall per event %.2f×\n", ph.name, pb[0]/pa[0], pb[1]/pa[1], (pb[0]/pb[1])/(pa[0]/pa[1]))
			}
		}
	}
	if differ {
		if *keep == "" {
			os.RemoveAll(dir)
		}
		die(fmt.Errorf("outputs differ between worker counts"))
	}
}
