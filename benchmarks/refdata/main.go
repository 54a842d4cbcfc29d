// Command refdata writes the repository's testdata folder (everything but
// its README.md) from the shared reference data (../shared, or
// $SPINERD_SHARED), so that `go test ./...` needs nothing beside the
// repository. testdata mirrors the shared folder's layout for what the
// default tests read:
//
//   - model files copied unchanged, each with the files it includes: the
//     Mäki-Marttunen 2020 models the tests run, all of NeuroRD's examples,
//     the input files of one run of every NeuroRD 3.3.0 reference set and
//     of the exact run of every JCP 2016 example;
//   - NeuroRD's mesh files of those runs, copied unchanged;
//   - `<output>.head`: the first lines of a NeuroRD output, unchanged: the
//     main output up to the end of its t = 0 block, an output-set file up
//     to the end of its header line;
//   - `ensemble-sums.tsv` of two reference sets: the voxel-summed molecule
//     counts of every run of the set at the times internal/refcompare's
//     test compares (instead of the runs themselves);
//   - data/fit-regression-points.json, copied unchanged.
//
// Run it from the repository root: `go run ./benchmarks/refdata`. Built
// with `-tags long`, its test checks that testdata is what it writes.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/spinerd/spinerd/compare"
	"github.com/spinerd/spinerd/internal/atomicfile"
)

// run is one NeuroRD 3.3.0 reference run whose inputs, mesh file and
// output heads go into testdata.
type run struct{ set, base string }

var runs = []run{
	{"sanity_simple", "Model_simple"},
	{"sanity_simple", "Model_simple_runtime300"},
	{"ex_mglur_diff", "Model_mglur_diff_seed1"},
	{"ex_mglur_diff_exact", "Model_mglur_diff_exact_seed1"},
	{"ex_mglur_diff_tol0.001", "Model_mglur_diff_tol0.001_seed1"},
	{"ex_mglur_spine-CaY", "Model_mglur_spine-CaY_seed1"},
	{"mm_nostim", "Model_rest_seed9"},
	{"mm_hfs", "Model_HFS1_seed9"},
	{"spine2020_dend", "Model_spine2020_dend_seed1"},
}

// sums lists the reference sets whose runs are summarised, and at which
// times (ms): those of internal/refcompare's TestAdaptiveMatchesNeuroRD.
var sums = []struct {
	set   string
	times []float64
}{
	{"mm_nostim", []float64{500, 1500, 3000}},
	{"mm_hfs", []float64{1000, 2200, 2520}},
}

// jcp2016 lists the exact run of every JCP 2016 example (folder/stem):
// its model, mesh table and NeuroRD's serialized configuration.
var jcp2016 = []string{
	"a_b_2c_d_production/model-exact",
	"a_b_diffusion_and_annihilation/model-exact",
	"cAMP_production/Model_cAMPassay1.5-PDE2600-exact",
	"single_molecule_degradation/model-exact",
	"third_order_bistable/model-exact",
}

// models lists model files and documents copied from the shared models
// folder (a trailing * copies the whole folder).
var models = []string{
	"maki-marttunen-2020/README.md",
	"maki-marttunen-2020/Model_HFS1.xml",
	"maki-marttunen-2020/Model_rest.xml",
	"maki-marttunen-2020/Model_4xHFS.xml",
	"maki-marttunen-2020/Model_LFS.xml",
	"maki-marttunen-2020/Model_template.xml",
	"neurord-examples/*",
}

func main() {
	shared := flag.String("shared", "", "the shared folder (default $SPINERD_SHARED, else ../shared)")
	out := flag.String("o", "testdata", "the testdata folder to write")
	flag.Parse()
	if *shared == "" {
		*shared = os.Getenv("SPINERD_SHARED")
	}
	if *shared == "" {
		*shared = filepath.Join("..", "shared")
	}
	files, err := Build(*shared)
	if err != nil {
		fmt.Fprintln(os.Stderr, "refdata:", err)
		os.Exit(1)
	}
	names := make([]string, 0, len(files))
	total := 0
	for name, data := range files {
		names = append(names, name)
		total += len(data)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(*out, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "refdata:", err)
			os.Exit(1)
		}
		data := files[name]
		if err := atomicfile.Write(path, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
			fmt.Fprintln(os.Stderr, "refdata:", err)
			os.Exit(1)
		}
	}
	fmt.Printf("%d files, %d bytes written to %s\n", len(names), total, *out)
}

// Build returns every file of testdata except README.md, by its path
// relative to testdata (slash-separated), read or derived from the shared
// folder.
func Build(shared string) (map[string][]byte, error) {
	files := map[string][]byte{}
	copyFile := func(rel string) error {
		if _, ok := files[rel]; ok {
			return nil
		}
		data, err := os.ReadFile(filepath.Join(shared, filepath.FromSlash(rel)))
		if err != nil {
			return err
		}
		files[rel] = data
		return nil
	}
	var model func(rel string) error // a model file and what it includes
	model = func(rel string) error {
		if _, ok := files[rel]; ok {
			return nil
		}
		if err := copyFile(rel); err != nil {
			return err
		}
		for _, m := range includeRE.FindAllSubmatch(files[rel], -1) {
			if err := model(pathJoin(rel, string(m[1]))); err != nil {
				return fmt.Errorf("included by %s: %w", rel, err)
			}
		}
		return nil
	}

	for _, m := range models {
		if dir, ok := strings.CutSuffix(m, "/*"); ok {
			entries, err := os.ReadDir(filepath.Join(shared, "models", dir))
			if err != nil {
				return nil, err
			}
			for _, e := range entries {
				if err := model("models/" + dir + "/" + e.Name()); err != nil {
					return nil, err
				}
			}
			continue
		}
		if err := model("models/" + m); err != nil {
			return nil, err
		}
	}
	if err := copyFile("data/fit-regression-points.json"); err != nil {
		return nil, err
	}
	for _, stem := range jcp2016 {
		rel := "reference/jcp2016/" + stem
		if err := model(rel + ".xml"); err != nil {
			return nil, err
		}
		if err := copyFile(rel + ".mesh.tsv"); err != nil {
			return nil, err
		}
		if err := model(rel + ".serialized_config.xml"); err != nil {
			return nil, err
		}
	}

	for _, r := range runs {
		set := "reference/neurord-3.3/" + r.set
		if err := model(set + "/inputs/" + r.base + ".xml"); err != nil {
			return nil, err
		}
		if err := copyFile(set + "/outputs/" + r.base + "-mesh.txt.out"); err != nil {
			return nil, err
		}
		main, err := findOutput(shared, set+"/outputs/"+r.base+".out")
		if err != nil {
			return nil, err
		}
		if files[headName(main)], err = head(shared, main, afterBlocks(1)); err != nil {
			return nil, err
		}
		conc, _ := filepath.Glob(filepath.Join(shared, filepath.FromSlash(set), "outputs", r.base+"-*-conc.txt.out*"))
		for _, c := range conc {
			rel := set + "/outputs/" + filepath.Base(c)
			if files[headName(rel)], err = head(shared, rel, firstLineEnd); err != nil {
				return nil, err
			}
		}
	}

	for _, s := range sums {
		rel := "reference/neurord-3.3/" + s.set + "/ensemble-sums.tsv"
		data, err := ensembleSums(filepath.Join(shared, "reference", "neurord-3.3", s.set), s.set, s.times)
		if err != nil {
			return nil, err
		}
		files[rel] = data
	}
	return files, nil
}

// includeRE finds the targets of XInclude elements.
var includeRE = regexp.MustCompile(`<xi:include\s+href="([^"]+)"`)

// pathJoin resolves an include href against the including file's folder.
func pathJoin(from, href string) string {
	return filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(filepath.FromSlash(from)), filepath.FromSlash(href))))
}

// findOutput returns rel or rel.zst, whichever exists.
func findOutput(shared, rel string) (string, error) {
	for _, r := range []string{rel, rel + ".zst"} {
		if _, err := os.Stat(filepath.Join(shared, filepath.FromSlash(r))); err == nil {
			return r, nil
		}
	}
	return "", fmt.Errorf("%s: neither %s nor .zst exists", shared, rel)
}

// headName names the head of an output: `<output without .zst>.head`.
func headName(rel string) string { return strings.TrimSuffix(rel, ".zst") + ".head" }

// head returns the first lines of a (possibly zstd-compressed) text file,
// unchanged, up to the line at which end says to stop (that line
// excluded).
func head(shared, rel string, end func(line []byte, n int) bool) ([]byte, error) {
	path := filepath.Join(shared, filepath.FromSlash(rel))
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".zst") {
		zr, err := zstd.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	br := bufio.NewReaderSize(r, 1<<20)
	var out bytes.Buffer
	for n := 0; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 && end(line, n) {
			return out.Bytes(), nil
		}
		out.Write(line)
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: ended after %d lines, before the end of its head", path, n)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
}

// afterBlocks stops a NeuroRD main output at the header of its block n+1:
// with n = 1 the head holds the grid and the t = 0 block.
func afterBlocks(n int) func([]byte, int) bool {
	blocks := 0
	return func(line []byte, _ int) bool {
		if bytes.HasPrefix(line, []byte("gridConcentrations ")) {
			blocks++
		}
		return blocks > n
	}
}

// firstLineEnd stops an output-set file after its header line.
func firstLineEnd(_ []byte, n int) bool { return n == 1 }

// ensembleSums writes the voxel-summed counts of every main output of a
// reference set at the given times: one row per time and species (in the
// outputs' order), one column per run (sorted by file name).
func ensembleSums(dir, set string, times []float64) ([]byte, error) {
	paths := compare.NeuroRDOutputs(dir)
	if len(paths) < 2 {
		return nil, fmt.Errorf("%s: %d main outputs", dir, len(paths))
	}
	e, err := compare.Read(paths, times)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# NeuroRD 3.3.0 reference set %s (../shared/reference/neurord-3.3/%s/outputs, %d main outputs):\n", set, set, len(paths))
	b.WriteString("# voxel-summed molecule counts of each species at each time (ms), one column per run.\n")
	b.WriteString("# Written by `go run ./benchmarks/refdata`; read by internal/refcompare's test.\n")
	b.WriteString("time_ms\tspecies")
	for _, p := range paths {
		b.WriteString("\t" + strings.TrimSuffix(strings.TrimSuffix(filepath.Base(p), ".zst"), ".out"))
	}
	b.WriteString("\n")
	for ti, t := range e.Times {
		for s, id := range e.Species {
			b.WriteString(strconv.FormatFloat(t, 'g', -1, 64) + "\t" + id)
			for _, v := range e.Samples[ti][s] {
				b.WriteString("\t" + strconv.FormatFloat(v, 'g', -1, 64))
			}
			b.WriteString("\n")
		}
	}
	if !slices.Equal(e.Times, times) {
		return nil, fmt.Errorf("%s: times %v, asked %v", dir, e.Times, times)
	}
	return b.Bytes(), nil
}
