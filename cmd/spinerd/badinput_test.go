package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A small valid model split over files the way NeuroRD models are.
var goodFiles = map[string]string{
	"Model.xml": `<?xml version="1.0" encoding="UTF-8"?>
<SDRun xmlns:xi="http://www.w3.org/2001/XInclude" xmlns="http://stochdiff.textensor.org">
    <xi:include href="Rxn.xml" />
    <xi:include href="Morph.xml" />
    <xi:include href="IC.xml" />
    <xi:include href="Stim.xml" />
    <xi:include href="Out.xml" />
    <geometry>2D</geometry>
    <depth2D>0.5</depth2D>
    <runtime>100</runtime>
    <discretization><defaultMaxElementSide>0.5</defaultMaxElementSide></discretization>
    <outputInterval>10</outputInterval>
    <tolerance>0.01</tolerance>
    <calculation>GRID_ADAPTIVE</calculation>
</SDRun>
`,
	"Rxn.xml": `<ReactionScheme>
  <Specie name="A" id="A" kdiff="10" kdiffunit="mu2/s"/>
  <Specie name="B" id="B" kdiff="0" kdiffunit="mu2/s"/>
  <Specie name="C" id="C" kdiff="0" kdiffunit="mu2/s"/>
  <Reaction name="ab" id="ab">
    <Reactant specieID="A"/>
    <Reactant specieID="B" power="1"/>
    <Product specieID="C"/>
    <forwardRate>1e-4</forwardRate>
    <reverseRate>0.01</reverseRate>
  </Reaction>
</ReactionScheme>
`,
	"Morph.xml": `<Morphology>
  <Segment id="dend" region="dendrite">
    <start x="0" y="0" z="0" r="0.5" label="site"/>
    <end x="2" y="0" z="0" r="0.5"/>
  </Segment>
</Morphology>
`,
	"IC.xml": `<InitialConditions>
  <ConcentrationSet>
    <NanoMolarity specieID="A" value="100"/>
    <NanoMolarity specieID="B" value="200"/>
  </ConcentrationSet>
</InitialConditions>
`,
	"Stim.xml": `<StimulationSet>
  <InjectionStim specieID="A" injectionSite="site">
    <onset>10</onset>
    <duration>5</duration>
    <rate>20</rate>
  </InjectionStim>
</StimulationSet>
`,
	"Out.xml": `<OutputScheme>
  <OutputSet filename="all" dt="1">
    <OutputSpecie name="C"/>
  </OutputSet>
</OutputScheme>
`,
}

// edit is a replacement in one file of the good model.
type edit struct{ file, old, new string }

func writeModel(t *testing.T, edits []edit) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{}
	for k, v := range goodFiles {
		files[k] = v
	}
	for _, e := range edits {
		s, ok := files[e.file]
		if e.old == "" {
			files[e.file] = e.new
			continue
		}
		if !ok || !strings.Contains(s, e.old) {
			t.Fatalf("test setup: %s has no %q", e.file, e.old)
		}
		files[e.file] = strings.Replace(s, e.old, e.new, 1)
	}
	for k, v := range files {
		if err := os.WriteFile(filepath.Join(dir, k), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "Model.xml")
}

func TestGoodModelIsGood(t *testing.T) {
	path := writeModel(t, nil)
	var out, errb bytes.Buffer
	if code := run([]string{"inspect", path}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"species: 3\n", "reaction channels: 2\n", "pulses: 1,"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestBadInput runs every kind of bad input through `spinerd inspect` and
// `spinerd mesh -o`: the exit status must be 2, the message must name the
// file (with its line where the reader knows it), the element and the
// offending value, and nothing may be written.
func TestBadInput(t *testing.T) {
	cases := []struct {
		name  string
		edits []edit
		want  []string // substrings of stderr
	}{
		{"xml syntax error", []edit{{"Model.xml", "<runtime>100</runtime>", "<runtime>100</runtim>"}},
			[]string{"Model.xml:10", "XML syntax error"}},
		{"missing include", []edit{{"Model.xml", `href="Out.xml"`, `href="Output.xml"`}},
			[]string{"Model.xml:7", "<xi:include>", "Output.xml"}},
		{"include cycle", []edit{{"Out.xml", "", `<OutputScheme xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="Model.xml"/></OutputScheme>`}},
			[]string{"Out.xml:1", "include cycle", "Model.xml → Out.xml → Model.xml"}},
		{"unknown species in reaction", []edit{{"Rxn.xml", `<Product specieID="C"/>`, `<Product specieID="D"/>`}},
			[]string{"Rxn.xml:8", `<Reaction id="ab">`, `"D"`, "unknown species"}},
		{"unknown species in initial conditions", []edit{{"IC.xml", `specieID="B"`, `specieID="Bx"`}},
			[]string{"IC.xml:4", "NanoMolarity", `"Bx"`}},
		{"unknown species in stimulus", []edit{{"Stim.xml", `specieID="A"`, `specieID="CaB"`}},
			[]string{"Stim.xml:2", "InjectionStim", `"CaB"`}},
		{"unknown species in output set", []edit{{"Out.xml", `name="C"`, `name="E"`}},
			[]string{"Out.xml:2", `<OutputSpecie name="E">`, `"E"`}},
		{"duplicate species id", []edit{{"Rxn.xml", `<Specie name="C" id="C"`, `<Specie name="C" id="B"`}},
			[]string{"Rxn.xml:4", "duplicate species id", `"B"`}},
		{"negative rate", []edit{{"Rxn.xml", "<reverseRate>0.01</reverseRate>", "<reverseRate>-0.01</reverseRate>"}},
			[]string{"Rxn.xml:10", "<reverseRate>", "-0.01"}},
		{"non-numeric rate", []edit{{"Rxn.xml", "<forwardRate>1e-4</forwardRate>", "<forwardRate>fast</forwardRate>"}},
			[]string{"Rxn.xml:9", "<forwardRate>", `"fast"`}},
		{"unknown kdiffunit", []edit{{"Rxn.xml", `kdiff="10" kdiffunit="mu2/s"`, `kdiff="10" kdiffunit="furlong2/s"`}},
			[]string{"Rxn.xml:2", `<Specie name="A">`, `"furlong2/s"`}},
		{"missing outputInterval", []edit{{"Model.xml", "<outputInterval>10</outputInterval>", ""}},
			[]string{"Model.xml:2", "<SDRun>", "missing <outputInterval>"}},
		{"zero outputInterval", []edit{{"Model.xml", "<outputInterval>10</outputInterval>", "<outputInterval>0</outputInterval>"}},
			[]string{"Model.xml:12", "<outputInterval>", "outputInterval 0 ms"}},
		{"missing runtime", []edit{{"Model.xml", "<runtime>100</runtime>", ""}},
			[]string{"Model.xml:2", "missing <runtime>"}},
		{"unknown calculation", []edit{{"Model.xml", "GRID_ADAPTIVE", "GRID_MAGIC"}},
			[]string{"Model.xml:14", "<calculation>", `"GRID_MAGIC"`}},
		{"injection site no voxel has", []edit{{"Stim.xml", `injectionSite="site"`, `injectionSite="spine:submembrane"`}},
			[]string{"Stim.xml:2", "InjectionStim", `"spine:submembrane"`}},
		{"zero radius", []edit{{"Morph.xml", `<end x="2" y="0" z="0" r="0.5"/>`, `<end x="2" y="0" z="0" r="0"/>`}},
			[]string{"Morph.xml:4", `<Segment id="dend">`, "r=0 µm"}},
		{"negative radius", []edit{{"Morph.xml", `r="0.5" label`, `r="-1" label`}},
			[]string{"Morph.xml:3", `<Segment id="dend">`, "r=-1 µm"}},
		{"reaction without reactant or product", []edit{{"Rxn.xml", `</Reaction>`, `</Reaction><Reaction id="empty"><forwardRate>1</forwardRate></Reaction>`}},
			[]string{"Rxn.xml:11", `<Reaction id="empty">`, "neither reactant nor product"}},
		{"negative power", []edit{{"Rxn.xml", `power="1"`, `power="-1"`}},
			[]string{"Rxn.xml:7", `<Reactant specieID="B">`, "power=-1"}},
		{"all errors in one pass", []edit{
			{"Rxn.xml", `<Product specieID="C"/>`, `<Product specieID="D"/>`},
			{"IC.xml", `value="100"`, `value="-3"`},
			{"Stim.xml", `injectionSite="site"`, `injectionSite="nowhere"`},
			{"Model.xml", "GRID_ADAPTIVE", "GRID_MAGIC"},
		}, []string{"4 errors", `"D"`, `-3`, `"nowhere"`, `"GRID_MAGIC"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeModel(t, c.edits)
			var out, errb bytes.Buffer
			code := run([]string{"inspect", path}, &out, &errb)
			if code != 2 {
				t.Fatalf("inspect: exit %d, want 2; stderr:\n%s", code, errb.String())
			}
			if out.Len() != 0 {
				t.Errorf("inspect wrote to stdout on failure:\n%s", out.String())
			}
			for _, w := range c.want {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb.String())
				}
			}
			// mesh -o: nothing written, and an existing file survives
			// when the model is bad in a way the mesh sees.
			target := filepath.Join(filepath.Dir(path), "mesh.tsv")
			code = run([]string{"mesh", path, "-o", target}, &out, &errb)
			if code == 0 {
				if _, err := os.Stat(target); err != nil {
					t.Errorf("mesh succeeded but wrote nothing: %v", err)
				}
				return
			}
			if code != 2 {
				t.Errorf("mesh: exit %d, want 0 or 2", code)
			}
			ents, _ := os.ReadDir(filepath.Dir(path))
			for _, e := range ents {
				if strings.Contains(e.Name(), "mesh.tsv") {
					t.Errorf("mesh left %s behind on failure", e.Name())
				}
			}
		})
	}
}

func TestMeshUnwritableOutput(t *testing.T) {
	path := writeModel(t, nil)
	var out, errb bytes.Buffer
	bad := filepath.Join(t.TempDir(), "no", "such", "dir", "mesh.tsv")
	if code := run([]string{"mesh", path, "-o", bad}, &out, &errb); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(errb.String(), bad) {
		t.Errorf("message does not name %s:\n%s", bad, errb.String())
	}
}

func TestMeshKeepsOldFileOnFailure(t *testing.T) {
	path := writeModel(t, []edit{{"Morph.xml", `r="0.5" label`, `r="0" label`}})
	target := filepath.Join(filepath.Dir(path), "mesh.tsv")
	os.WriteFile(target, []byte("old\n"), 0o644)
	var out, errb bytes.Buffer
	if code := run([]string{"mesh", path, "-o", target}, &out, &errb); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if b, _ := os.ReadFile(target); string(b) != "old\n" {
		t.Errorf("existing output was changed to %q", b)
	}
}
