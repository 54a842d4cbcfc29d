package neurord

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/model"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestLoadFeatures exercises the parts of the format the shared models do
// not: a root without namespace, nested includes in a subfolder, a <rates>
// table pulled in as text, NumberDensity, MaxElementSide and dt= synonyms,
// spines, an unknown element (a warning with file and line).
func TestLoadFeatures(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"m.xml": `<SDRun xmlns:xi="http://www.w3.org/2001/XInclude">
  <xi:include href="parts/all.xml"/>
  <StimulationSet>
    <InjectionStim specieID="A" injectionSite="sa[0].tip"><rates><xi:include href="rates.txt" parse="text"/></rates></InjectionStim>
  </StimulationSet>
  <runtime> 50 </runtime><outputInterval>5</outputInterval><calculation>GRID_EXACT</calculation>
  <discretization><defaultMaxElementSide>1</defaultMaxElementSide><MaxElementSide region="d">0.5</MaxElementSide><spineDeltaX>0.1</spineDeltaX></discretization>
  <OutputScheme><OutputSet filename="a" dt="2.5"><OutputSpecie name="A"/></OutputSet></OutputScheme>
  <mysteryElement/>
</SDRun>`,
		"parts/all.xml": `<ReactionScheme xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="species.xml"/><Specie name="B"/>
  <Reaction id="r"><Reactant specieID="A" n="2"/><Product specieID="B" power="2"/><forwardRate>1</forwardRate><reverseRate>2</reverseRate><Q10>0.2</Q10></Reaction>
</ReactionScheme>`,
		"parts/species.xml": `<Specie name="A" kdiff="0.5" kdiffunit="mu2/ms"/>`,
		"rates.txt":         "0 0\n10 4.5\n20 0\n",
	})
	// parts/all.xml holds only a ReactionScheme, so the morphology comes
	// from a second include written here.
	os.WriteFile(filepath.Join(dir, "morph.xml"), []byte(`<Morphology>
  <SpineType id="st"><Section width="0.2" at="0"/><Section width="0.2" at="0.3" label="tip"/></SpineType>
  <SpineAllocation id="sa" spineType="st" region="d" areaDensity="0.5"/>
  <Segment id="s" region="d"><start x="0" y="0" z="0" r="0.5"/><end x="2" y="0" z="0" r="0.5"/></Segment>
</Morphology>`), 0o644)
	main := filepath.Join(dir, "m.xml")
	b, _ := os.ReadFile(main)
	os.WriteFile(main, []byte(strings.Replace(string(b), `<xi:include href="parts/all.xml"/>`, `<xi:include href="parts/all.xml"/><xi:include href="morph.xml"/>
  <InitialConditions><ConcentrationSet><NumberDensity specieID="B" number="3"/></ConcentrationSet></InitialConditions>`, 1)), 0o644)

	m, warns, err := Load(main)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Species) != 2 || m.Species[0].KDiff != 0.5 || m.Species[0].KDiffUnit != "mu2/ms" {
		t.Errorf("species %+v", m.Species)
	}
	r := m.Reactions[0]
	if r.Reactants[0].N != 2 || r.Reactants[0].Power != 1 || r.Products[0].N != 2 || r.Products[0].Power != 2 {
		t.Errorf("n/power defaults: %+v", r)
	}
	if got := m.Stimuli[0].Rates; len(got) != 3 || got[1] != (model.RateRow{TimeMs: 10, RatePerMs: 4.5}) {
		t.Errorf("rates %+v", got)
	}
	if len(m.OutputSets) != 1 || m.OutputSets[0].IntervalMs != 2.5 {
		t.Errorf("output sets %+v", m.OutputSets)
	}
	if len(m.Discretization.MaxElementSide) != 1 || m.Discretization.MaxElementSide[0].SizeUm != 0.5 {
		t.Errorf("MaxElementSide %+v", m.Discretization.MaxElementSide)
	}
	found := false
	for _, w := range warns {
		found = found || (strings.Contains(w.String(), "m.xml:10") && strings.Contains(w.String(), "mysteryElement"))
	}
	if !found {
		t.Errorf("no warning with file and line for the unknown element: %v", warns)
	}
	if !strings.Contains(m.Text, `xmlns="http://stochdiff.textensor.org"`) || !strings.Contains(m.Text, "<Specie") || strings.Contains(m.Text, "xi:include") {
		t.Errorf("resolved text lacks included content:\n%s", m.Text)
	}
	sys, _, err := model.Compile(m, model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sys.Stimuli[0].NumPulses != 1 || sys.Stimuli[0].Pulses[0] != (model.Pulse{StartMs: 10, EndMs: 20, RatePerMs: 4.5}) {
		t.Errorf("rates table pulses %+v", sys.Stimuli[0])
	}
	if sys.Method != model.MethodExact || sys.EndMs != 50 {
		t.Errorf("settings: method %v end %v", sys.Method, sys.EndMs)
	}
	if len(sys.Mesh.Spines) != 1 || len(sys.Stimuli[0].Targets) != 1 {
		t.Errorf("spines %d, targets %v", len(sys.Mesh.Spines), sys.Stimuli[0].Targets)
	}
	// B: 3 molecules/µm³ everywhere.
	ns := len(sys.Species)
	for v := range sys.Mesh.Voxels {
		want := 3 * sys.Mesh.Voxels[v].VolumeUm3 * model.NumberDensityToNanoMolar * model.PUVC
		if got := sys.Initial[v*ns+1]; (got-want)/want > 1e-12 || (want-got)/want > 1e-12 {
			t.Errorf("voxel %d: B %v, want %v", v, got, want)
		}
	}
	// The resolved text loads again to the same model.
	m2, _, err := LoadBytes([]byte(m.Text), filepath.Join(dir, "resolved.xml"))
	if err != nil || len(m2.Species) != 2 || len(m2.Stimuli[0].Rates) != 3 {
		t.Errorf("reloading the resolved text: %v", err)
	}
}

// TestLoadErrorsStructural checks reader-level failures: the main file
// missing, a wrong root, an included file with a syntax error.
func TestLoadErrorsStructural(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"root.xml": `<Model><runtime>1</runtime></Model>`,
		"inc.xml":  `<SDRun xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="bad.xml"/></SDRun>`,
		"bad.xml":  "<ReactionScheme>\n<Specie name=\"A\">\n</ReactionScheme>",
	})
	for name, want := range map[string]string{
		"missing.xml": "missing.xml: cannot read model file",
		"root.xml":    "root.xml:1: <Model>",
		"inc.xml":     "bad.xml:3: XML syntax error",
	} {
		_, _, err := Load(filepath.Join(dir, name))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to contain %q", name, err, want)
		}
	}
}
