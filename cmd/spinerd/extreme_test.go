package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestExtremeInput: values the engines cannot represent or resolve, and
// hostile files, make `spinerd run` exit 2 at once with a message naming
// the file, line, element and value, leaving nothing under the output's
// name (held-out variants of each kind are in the table on purpose: other
// magnitudes, other elements).
func TestExtremeInput(t *testing.T) {
	cases := []struct {
		name  string
		edits []edit
		args  []string
		want  []string
	}{
		{"huge concentration", []edit{{"IC.xml", `value="100"`, `value="1e20"`}}, nil,
			[]string{"IC.xml:3", `<NanoMolarity specieID="A">`, "1e+20", "2^53"}},
		{"huge number density", []edit{{"IC.xml", `<NanoMolarity specieID="B" value="200"/>`, `<NumberDensity specieID="B" number="1e18"/>`}}, nil,
			[]string{"IC.xml:4", `<NumberDensity specieID="B">`, "2^53"}},
		{"forward rate 1e15", []edit{{"Rxn.xml", "<forwardRate>1e-4</forwardRate>", "<forwardRate>1e15</forwardRate>"}}, nil,
			[]string{"Rxn.xml:9", `<Reaction id="ab">`, "forwardRate 1e+15", "double precision"}},
		{"reverse rate 1e17", []edit{{"Rxn.xml", "<reverseRate>0.01</reverseRate>", "<reverseRate>1e17</reverseRate>"}}, nil,
			[]string{"Rxn.xml:10", "reverseRate 1e+17"}},
		{"rate 1e308", []edit{{"Rxn.xml", "<forwardRate>1e-4</forwardRate>", "<forwardRate>1e308</forwardRate>"}}, nil,
			[]string{"Rxn.xml:9", "forwardRate 1e+308"}},
		{"second-order rate that only fails with counts", []edit{{"Rxn.xml", "<forwardRate>1e-4</forwardRate>", "<forwardRate>1e10</forwardRate>"}}, []string{"--method", "exact"},
			[]string{"Rxn.xml:5", `reaction "ab"`, "faster than double precision"}},
		{"injection rate 1e20", []edit{{"Stim.xml", "<rate>20</rate>", "<rate>1e20</rate>"}}, nil,
			[]string{"Stim.xml:5", "<InjectionStim", "1e+20"}},
		{"injection of more than 2^53", []edit{{"Stim.xml", "<rate>20</rate>", "<rate>1e12</rate>"}, {"Stim.xml", "<duration>5</duration>", "<duration>50000</duration>"}, {"Model.xml", "<runtime>100</runtime>", "<runtime>60000</runtime>"}}, nil,
			[]string{"Stim.xml:5", "2^53"}},
		{"runtime 1e300", []edit{{"Model.xml", "<runtime>100</runtime>", "<runtime>1e300</runtime>"}}, nil,
			[]string{"Model.xml:10", "<runtime>", "1e+300"}},
		{"too many frames", []edit{{"Model.xml", "<runtime>100</runtime>", "<runtime>1e8</runtime>"}, {"Model.xml", "<outputInterval>10</outputInterval>", "<outputInterval>0.01</outputInterval>"}}, nil,
			[]string{"Model.xml:12", "<outputInterval>", "output frames"}},
		{"fixed step below resolution", []edit{{"Model.xml", "<runtime>100</runtime>", "<runtime>100</runtime><fixedStepDt>1e-16</fixedStepDt>"}}, []string{"--method", "fixed"},
			[]string{"Model.xml:10", "<fixedStepDt>", "1e-16"}},
		{"zero-length segment", []edit{{"Morph.xml", `<end x="2" y="0" z="0" r="0.5"/>`, `<end x="0" y="0" z="0" r="0.5"/>`}}, nil,
			[]string{"Morph.xml:2", `<Segment id="dend">`, "length 0"}},
		{"include of a device", []edit{{"Model.xml", `href="Out.xml"`, `href="/dev/zero"`}}, nil,
			[]string{"Model.xml:7", "/dev/zero", "not a regular file"}},
		{"non-XML include names the including line", []edit{{"Out.xml", "", "this is not XML"}}, nil,
			[]string{"Out.xml", "included from", "Model.xml:7"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeModel(t, c.edits)
			out := filepath.Join(filepath.Dir(path), "run.traj")
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"run", path, "-q", "-o", out}, c.args...), &stdout, &stderr)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr.String())
			}
			for _, w := range c.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a failed run left a file under the output's name")
			}
		})
	}
}

// TestODEStaysNonNegative: a stiff binding (k = 1e9 /nM/ms) no longer
// drives an amount negative beyond the solver's tolerance.
func TestODEStaysNonNegative(t *testing.T) {
	path := writeModel(t, []edit{{"Rxn.xml", "<forwardRate>1e-4</forwardRate>", "<forwardRate>1e9</forwardRate>"}})
	out := filepath.Join(filepath.Dir(path), "ode.csv")
	traj := filepath.Join(filepath.Dir(path), "ode.traj")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"run", path, "--method", "ode", "-q", "-o", traj}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if code := run([]string{"export", traj, "--sum-voxels", "-o", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr.String())
	}
	b, _ := os.ReadFile(out)
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
		for _, f := range strings.Split(line, ",")[1:] {
			if strings.HasPrefix(f, "-") && !strings.Contains(f, "e-") {
				t.Fatalf("negative amount %s in row %s", f, line)
			}
		}
	}
}

// TestFlagValues: counts below 1 and explicit zeros of settings that mean
// "the model's value" when left out are errors naming flag and value;
// an output that names a directory is refused before the run.
func TestFlagValues(t *testing.T) {
	path := writeModel(t, nil)
	dir := filepath.Dir(path)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", path, "--workers", "0"}, "--workers 0"},
		{[]string{"run", path, "--workers", "-3"}, "--workers -3"},
		{[]string{"run", path, "--tolerance", "0"}, "--tolerance 0"},
		{[]string{"run", path, "--runtime", "0"}, "--runtime 0"},
		{[]string{"ensemble", path, "--seeds", "1-2", "--jobs", "0"}, "--jobs 0"},
		{[]string{"ensemble", path, "--seeds", "1-2", "--jobs", "-1"}, "--jobs -1"},
		{[]string{"run", path, "-q", "-o", dir}, "is a directory"},
		{[]string{"run", path, "--domains", "-1"}, "--domains: -1"},
		{[]string{"run", path, "--domains", "100000"}, "can be cut into at most"},
		{[]string{"run", path, "--domains", "2", "--method", "exact"}, "only the adaptive and multiscale"},
		{[]string{"run", path, "--domains", "3", "--one-block"}, "contradicts --one-block"},
		{[]string{"ensemble", path, "--seeds", "1-2", "--domains", "-1"}, "--domains: -1"},
		{[]string{"ensemble", path, "--seeds", "1-2", "--domains", "100000"}, "can be cut into at most"},
		{[]string{"ensemble", path, "--seeds", "1-2", "--domains", "2", "--method", "exact"}, "only the adaptive and multiscale"},
		{[]string{"ensemble", path, "--seeds", "1-2", "--domains", "3", "--one-block"}, "contradicts --one-block"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, stderr.String())
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != len(goodFiles) {
		t.Errorf("refused commands left files: %v", ents)
	}
	// a count the mesh can take runs, and the summary gives it
	var stdout, stderr bytes.Buffer
	if code := run([]string{"run", path, "--domains", "2", "--runtime", "5", "-o", filepath.Join(t.TempDir(), "d.traj")}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "domains: 2,") {
		t.Errorf("--domains 2: exit %d, stderr %q", code, stderr.String())
	}
}

// TestPlotWarnsTruncated: plotting a run cut short (a killed run's file)
// warns as export does and still draws what is there.
func TestPlotWarnsTruncated(t *testing.T) {
	path := writeModel(t, nil)
	dir := filepath.Dir(path)
	full := filepath.Join(dir, "full.traj")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"run", path, "-q", "--seed", "1", "-o", full}, &stdout, &stderr); code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr.String())
	}
	b, _ := os.ReadFile(full)
	cut := filepath.Join(dir, "cut.traj")
	os.WriteFile(cut, b[:len(b)-40], 0o644) // the index and footer are gone
	stderr.Reset()
	if code := run([]string{"plot", cut, "--species", "A", "-o", filepath.Join(dir, "f.png")}, &stdout, &stderr); code != 0 {
		t.Fatalf("plot: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "warning") {
		t.Errorf("no warning for a cut file:\n%s", stderr.String())
	}
}

// TestInspectDomains: inspect says how run cuts the mesh into domains by
// default (the sizes add up to the mesh), that a small mesh runs as one
// block and how many --domains can ask of it, and says nothing of
// domains for a method without them.
func TestInspectDomains(t *testing.T) {
	long := writeModel(t, []edit{{file: "Morph.xml", old: `x="2"`, new: `x="100"`}})
	for _, c := range []struct {
		path, method string
		want         *regexp.Regexp
	}{
		{writeModel(t, nil), "", regexp.MustCompile(`\ndomains: one block \(meshes with ≥ 128 voxels outside the spines are cut; run --domains N cuts this one into 2 to [0-9]+\)\n`)},
		{long, "", regexp.MustCompile(`\ndomains: ([0-9]+) of ([0-9, ]+) voxels, boundary exchange windows of ≥ [0-9.e-]+ ms \(run --domains N takes 1 to [0-9]+\)\n`)},
		{long, "exact", nil},
		{writeModel(t, []edit{{file: "Morph.xml", old: `x="2"`, new: `x="100"`}, {file: "Rxn.xml", old: `kdiff="10" kdiffunit="mu2/s"`, new: `kdiff="1e7" kdiffunit="mu2/s"`}}), "",
			regexp.MustCompile(`\ndomains: one block \(diffusion across the cut is too fast for boundary exchanges \(windows under 1 µs\); run --domains N cuts this one into 2 to [0-9]+\)\n`)},
	} {
		args := []string{"inspect", c.path}
		if c.method != "" {
			args = append(args, "--method", c.method)
		}
		code, out, errs := runCmd(args...)
		if code != 0 {
			t.Fatalf("inspect %s: exit %d: %s", c.path, code, errs)
		}
		if c.want == nil {
			if strings.Contains(out, "\ndomains:") {
				t.Errorf("inspect --method %s speaks of domains:\n%s", c.method, out)
			}
			continue
		}
		m := c.want.FindStringSubmatch(out)
		if m == nil {
			t.Errorf("inspect %s: no line matching %s:\n%.1500s", c.path, c.want, out)
			continue
		}
		if len(m) < 3 {
			continue
		}
		var voxels int
		fmt.Sscanf(out[strings.Index(out, "voxels: "):], "voxels: %d", &voxels)
		n, sum := 0, 0
		for _, f := range strings.Split(m[2], ", ") {
			v, _ := strconv.Atoi(f)
			sum += v
			n++
		}
		if k, _ := strconv.Atoi(m[1]); k != n || k < 2 || sum != voxels {
			t.Errorf("inspect: %s domains of %s voxels, for a mesh of %d", m[1], m[2], voxels)
		}
	}
}

// TestOneBlockNote: a run that asked for workers or domains but ran as
// one block says why: a small mesh (and that --domains N cuts it), a
// mesh whose diffusion is too fast for any window (and not that
// --domains cuts smaller meshes).
func TestOneBlockNote(t *testing.T) {
	dir := t.TempDir()
	fast := writeModel(t, []edit{{file: "Morph.xml", old: `x="2"`, new: `x="100"`}, {file: "Rxn.xml", old: `kdiff="10" kdiffunit="mu2/s"`, new: `kdiff="1e7" kdiffunit="mu2/s"`}})
	for _, c := range []struct {
		path, domains, want, not string
	}{
		{writeModel(t, nil), "0", "one block on one core: meshes with ≥ 128 voxels outside the spines are cut (--domains N cuts smaller meshes)", ""},
		{fast, "0", "one block on one core: diffusion across the cut is too fast for boundary exchanges", "smaller meshes"},
		{fast, "3", "one block on one core: diffusion across the cut is too fast for boundary exchanges", "smaller meshes"},
	} {
		code, _, errs := runCmd("run", c.path, "--method", "adaptive", "--runtime", "0.001", "--workers", "2", "--domains", c.domains, "-o", filepath.Join(dir, "x.traj"))
		if code != 0 {
			t.Fatalf("run %s --domains %s: exit %d: %s", c.path, c.domains, code, errs)
		}
		if !strings.Contains(errs, c.want) || (c.not != "" && strings.Contains(errs, c.not)) {
			t.Errorf("run %s --domains %s: want a note %q (without %q):\n%s", c.path, c.domains, c.want, c.not, errs)
		}
	}
}
