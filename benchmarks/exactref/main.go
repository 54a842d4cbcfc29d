// Command exactref compares a stochastic method of spinerd with spinerd's
// exact SSA on four models (Model_HFS1, Model_rest, Model_mglur_diff and
// Model_mglur_spine-CaY): 64 seeds of the method under test against 64
// exact runs stored in testdata/ (voxel-summed counts of every species at
// 6 times, at least two of them within 100 ms after a pulse edge when the
// model has pulses).
//
// A model passes when, over every species whose mean exceeds 10
// molecules at those times, every |z| ≤ 6 (SDs floored at 1 molecule), the
// geometric mean of the SD ratios lies in [0.9, 1.11] and every two-sample
// Kolmogorov–Smirnov p value exceeds 1e-3 divided by the number of
// comparisons of the model (Bonferroni). With no real difference the
// false-failure rate is dominated by the KS test: at most 1e-3 per model.
//
// Usage:
//
//	go run ./benchmarks/exactref [-shared ../shared] [-method multiscale] [-model HFS1]
//	go run ./benchmarks/exactref -gen   # regenerate testdata/ with the exact SSA (about 40 CPU minutes)
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/spinerd/spinerd/compare"
	"github.com/spinerd/spinerd/internal/refcompare"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
)

type refModel struct {
	name       string
	path       string    // relative to the shared folder
	times      []float64 // comparison times (ms)
	intervalMs float64   // main-output interval that hits those times
}

var models = []refModel{
	// HFS: 101 pulses of 3 ms every 10 ms from 2000 ms; 2050 and 2510 lie
	// in the train, 3040 ms 37 ms after the last pulse.
	{"HFS1", "models/maki-marttunen-2020/Model_HFS1.xml", []float64{1000, 2050, 2510, 3040, 5000, 12000}, 10},
	{"rest", "models/maki-marttunen-2020/Model_rest.xml", []float64{1000, 2000, 5000, 10000, 15000, 20000}, 100},
	// glu pulse 100–110 ms, buffer pulse 200–210 ms into voxel 7
	{"mglur_diff", "reference/neurord-3.3/ex_mglur_diff/inputs/Model_mglur_diff_seed1.xml", []float64{150, 250, 400, 1000, 5000, 10000}, 50},
	// Ca 1000–1010 ms and glu 1000–1030 ms into the spine, buffer 2000–2030 ms
	{"mglur_spine-CaY", "reference/neurord-3.3/ex_mglur_spine-CaY/inputs/Model_mglur_spine-CaY_seed1.xml", []float64{500, 1050, 1100, 2100, 5000, 10000}, 50},
}

const nSeeds = 64

func main() {
	shared := flag.String("shared", "../shared", "the shared folder (models, reference)")
	gen := flag.Bool("gen", false, "regenerate the exact-SSA reference in testdata/")
	method := flag.String("method", "multiscale", "method under test")
	only := flag.String("model", "", "run only this model (HFS1, rest, mglur_diff, mglur_spine-CaY)")
	seeds := flag.Int("seeds", nSeeds, "seeds of the method under test")
	verbose := flag.Bool("v", false, "print every comparison")
	flag.Parse()
	if env := os.Getenv("SPINERD_SHARED"); env != "" && !isSet("shared") {
		*shared = env
	}
	if *seeds < 2 {
		fail(fmt.Errorf("-seeds %d: the comparison needs at least 2 seeds (a standard deviation)", *seeds))
	}
	if *only != "" && !slices.ContainsFunc(models, func(rm refModel) bool { return rm.name == *only }) {
		var names []string
		for _, rm := range models {
			names = append(names, rm.name)
		}
		fail(fmt.Errorf("-model %q: no such model (%s)", *only, strings.Join(names, ", ")))
	}
	dir := testdataDir()
	ok := true
	for _, rm := range models {
		if *only != "" && rm.name != *only {
			continue
		}
		if *gen {
			if err := generate(*shared, dir, rm); err != nil {
				fail(err)
			}
			continue
		}
		pass, err := check(*shared, dir, rm, *method, *seeds, *verbose, 0.9, 1.11)
		if err != nil {
			fail(err)
		}
		ok = ok && pass
	}
	if *gen {
		return
	}
	if !ok {
		fmt.Println(strings.Repeat("=", 10), "FAIL")
		os.Exit(1)
	}
	fmt.Println(strings.Repeat("=", 10), "PASS")
}

func isSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "exactref:", err)
	os.Exit(1)
}

// testdataDir is benchmarks/exactref/testdata, found from the working
// directory (the repository root or this folder).
func testdataDir() string {
	for _, d := range []string{"benchmarks/exactref/testdata", "testdata"} {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
	}
	return "benchmarks/exactref/testdata"
}

func compile(shared string, rm refModel, method string) (*model.System, error) {
	sys, _, err := neurord.Compile(filepath.Join(shared, rm.path), model.Options{Method: method})
	if err != nil {
		return nil, err
	}
	sys.Main.IntervalMs = rm.intervalMs
	return sys, nil
}

func seedList(first, n int) []uint64 {
	s := make([]uint64, n)
	for i := range s {
		s[i] = uint64(first + i)
	}
	return s
}

// generate runs the exact SSA with seeds 1–64 and writes the reference.
func generate(shared, dir string, rm refModel) error {
	sys, err := compile(shared, rm, "exact")
	if err != nil {
		return err
	}
	t0 := time.Now()
	ens, st, err := refcompare.RunSpinerd(sys, seedList(1, nSeeds), rm.times, runtime.NumCPU())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, rm.name+".tsv.zst")
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	zw, err := zstd.NewWriter(f, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	if err != nil {
		f.Close()
		return err
	}
	w := bufio.NewWriter(zw)
	fmt.Fprintf(w, "# spinerd exact SSA, %s, seeds 1-%d, voxel-summed counts; regenerate: go run ./benchmarks/exactref -gen -model %s\n", rm.path, nSeeds, rm.name)
	for ti, t := range ens.Times {
		for si, sp := range ens.Species {
			fmt.Fprintf(w, "%g\t%s", t, sp)
			for _, v := range ens.Samples[ti][si] {
				fmt.Fprintf(w, "\t%d", int64(v))
			}
			fmt.Fprintln(w)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	fmt.Printf("%s: %d exact runs in %.0f s (%.3g events per run) -> %s\n", rm.name, nSeeds, time.Since(t0).Seconds(), float64(st.ExactEvents)/nSeeds, path)
	return nil
}

// readRef reads a stored reference ensemble.
func readRef(dir string, rm refModel) (*compare.Ensemble, error) {
	path := filepath.Join(dir, rm.name+".tsv.zst")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w (generate it with -gen)", err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(f)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	var species []string
	spIdx := map[string]int{}
	rows := map[[2]int][]float64{}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		fs := strings.Split(sc.Text(), "\t")
		if len(fs) < 3 {
			return nil, fmt.Errorf("%s:%d: short line", path, line)
		}
		t, err := strconv.ParseFloat(fs[0], 64)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, line, err)
		}
		ti := compare.TimeIndex(rm.times, t)
		if ti < 0 {
			return nil, fmt.Errorf("%s:%d: time %g is not one of the model's", path, line, t)
		}
		si, ok := spIdx[fs[1]]
		if !ok {
			si = len(species)
			spIdx[fs[1]] = si
			species = append(species, fs[1])
		}
		var v []float64
		for _, s := range fs[2:] {
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", path, line, err)
			}
			v = append(v, x)
		}
		rows[[2]int{ti, si}] = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	e := compare.NewEnsemble(species, rm.times)
	for k, v := range rows {
		e.Samples[k[0]][k[1]] = v
	}
	return e, nil
}

// check runs the method under test and compares it with the reference;
// lo and hi bound the geometric mean of the SD ratios.
func check(shared, dir string, rm refModel, method string, seeds int, verbose bool, lo, hi float64) (bool, error) {
	ref, err := readRef(dir, rm)
	if err != nil {
		return false, err
	}
	sys, err := compile(shared, rm, method)
	if err != nil {
		return false, err
	}
	t0 := time.Now()
	ens, st, err := refcompare.RunSpinerd(sys, seedList(1001, seeds), rm.times, runtime.NumCPU())
	if err != nil {
		return false, err
	}
	wall := time.Since(t0)
	cs, err := compare.Compare(ens, ref, 10)
	if err != nil {
		return false, err
	}
	maxZ, geo := compare.Summary(cs)
	minP := 1.0
	for _, c := range cs {
		minP = math.Min(minP, c.KSP)
	}
	pBound := 1e-3 / float64(len(cs))
	pass := maxZ <= 6 && geo >= lo && geo <= hi && minP > pBound
	fired := float64(st.ExactEvents) + float64(st.LeapFirings)
	fmt.Printf("== %s: %s (ε %g) %d seeds vs exact SSA %d seeds, %d comparisons: max |z| %.2f, geometric mean SD ratio %.3f [%.2f, %.2f], min KS p %.2g (bound %.2g): %s\n",
		rm.name, method, sys.Tolerance, ens.Runs(), ref.Runs(), len(cs), maxZ, geo, lo, hi, minP, pBound, map[bool]string{true: "PASS", false: "FAIL"}[pass])
	fmt.Printf("   wall %.1f s for %d runs on %d cores; per run %.3g single events, %.3g leaps carrying %.3g firings, %.3g firings absorbed in partial equilibrium (%.1f%% of all)\n",
		wall.Seconds(), ens.Runs(), runtime.NumCPU(), float64(st.ExactEvents)/float64(ens.Runs()), float64(st.Leaps)/float64(ens.Runs()),
		float64(st.LeapFirings)/float64(ens.Runs()), st.Absorbed/float64(ens.Runs()), 100*st.Absorbed/math.Max(1, st.Absorbed+fired))
	fmt.Printf("   %-22s %9s %12s %12s %10s %10s %7s %6s %8s\n", "species", "t (ms)", "mean test", "mean exact", "sd test", "sd exact", "z", "ratio", "KS p")
	for _, c := range cs {
		if verbose || math.Abs(c.Z) > 4 || c.Ratio > 1.4 || c.Ratio < 0.7 || c.KSP < 100*pBound {
			fmt.Printf("   %-22s %9g %12.1f %12.1f %10.2f %10.2f %7.2f %6.2f %8.2g\n", c.Species, c.TimeMs, c.MeanA, c.MeanB, c.SDA, c.SDB, c.Z, c.Ratio, c.KSP)
		}
	}
	return pass, nil
}
