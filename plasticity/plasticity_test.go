package plasticity

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/spinerd/spinerd/ampa"
	"github.com/spinerd/spinerd/deterministic"
	"github.com/spinerd/spinerd/internal/testenv"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/models"
	"github.com/spinerd/spinerd/neurord"
	"github.com/spinerd/spinerd/protocol"
)

// gRatio runs a NeuroRD model file deterministically and returns g at the
// end over g just before onsetMs.
func gRatio(t *testing.T, file string, onsetMs float64) float64 {
	t.Helper()
	sys, _, err := neurord.Compile(filepath.Join(testenv.Testdata(t), "models", "maki-marttunen-2020", file), model.Options{Method: "ode"})
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(sys)
	if _, err := deterministic.Run(context.Background(), sys, deterministic.Options{}, rec); err != nil {
		t.Fatal(err)
	}
	s, err := FromSpecies(rec.IDs, rec.Times, rec.Frames, ampa.RandomTetramers)
	if err != nil {
		t.Fatal(err)
	}
	rel, t0, err := s.Relative(onsetMs)
	if err != nil || t0 != onsetMs {
		t.Fatalf("baseline at %g ms", t0)
	}
	return rel[len(rel)-1]
}

// TestFigureProtocols: with the deterministic engine Model_4xHFS.xml
// raises g more than 2× by 500 s and Model_LFS.xml lowers it by 10–30 %
// (an independent SUNDIALS CVODE solution of the same files gives ×3.13
// and ×0.80; spinerd gives ×3.135 and ×0.804).
func TestFigureProtocols(t *testing.T) {
	if r := gRatio(t, "Model_4xHFS.xml", 40_000); !(r > 2) {
		t.Errorf("4xHFS: g(500 s)/g(40 s) = %.4f, want > 2", r)
	} else {
		t.Logf("4xHFS: ×%.4f", r)
	}
	if r := gRatio(t, "Model_LFS.xml", 40_000); !(r >= 0.7 && r <= 0.9) {
		t.Errorf("LFS: g(500 s)/g(40 s) = %.4f, want 0.7–0.9", r)
	} else {
		t.Logf("LFS: ×%.4f", r)
	}
}

// neuronPoint is a parameter set with the objectives the original NEURON
// code gives for it under NEURON 8.2.2 (testdata/fit-regression-neuron-
// 8.2.2.json; its "provenance" says where the numbers come from).
type neuronPoint struct {
	Index   int                `json:"index"`
	Dataset string             `json:"dataset"`
	Space   string             `json:"parameter_space"`
	Variant string             `json:"protocol_variant"`
	Params  map[string]float64 `json:"params"`
	Neuron  []float64          `json:"neuron_objectives"`
}

func neuronPoints(t testing.TB) []neuronPoint {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fit-regression-neuron-8.2.2.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Provenance string        `json:"provenance"`
		Points     []neuronPoint `json:"points"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if f.Provenance == "" || len(f.Points) == 0 {
		t.Fatal("testdata/fit-regression-neuron-8.2.2.json: no provenance or no points")
	}
	return f.Points
}

// TestRegressionNEURON evaluates every parameter set that has NEURON
// 8.2.2 objectives (the original ModelDB 260971 fitting code at its own
// solver settings) and requires every objective within 2e-3 + 1e-3·|value|
// of it (Data.Agrees; a Ca peak within 1e-5 mM of the 2 µM threshold may
// count either way). The objectives stored with these sets in
// fit-regression-points.json are not the reference: the published code
// does not reproduce them (see the README).
func TestRegressionNEURON(t *testing.T) {
	d, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	base, _, err := models.SpineModel()
	if err != nil {
		t.Fatal(err)
	}
	pts := neuronPoints(t)
	if len(pts) != 22 {
		t.Fatalf("%d points, want the 22 of fit-regression-points-neuron-8.2.2.json", len(pts))
	}
	type out struct {
		r   *Result
		err error
	}
	res := make([]out, len(pts))
	sem := make(chan struct{}, 2)
	done := make(chan struct{})
	for i, pt := range pts {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem; done <- struct{}{} }()
			ds, err := d.Dataset(pt.Dataset)
			if err != nil {
				res[i].err = err
				return
			}
			v, err := ds.Variant(pt.Variant)
			if err != nil {
				res[i].err = err
				return
			}
			res[i].r, res[i].err = d.Evaluate(context.Background(), base, ds, v, d.Spaces[pt.Space], pt.Params, Options{Jobs: 1})
		}()
	}
	for range pts {
		<-done
	}
	for i, pt := range pts {
		if res[i].err != nil {
			t.Fatalf("point %d (%s): %v", pt.Index, pt.Dataset, res[i].err)
		}
		r := res[i].r
		if len(r.Objectives) != len(pt.Neuron) {
			t.Fatalf("point %d (%s): %d objectives, NEURON %d", pt.Index, pt.Dataset, len(r.Objectives), len(pt.Neuron))
		}
		for k, ok := range d.Agrees(r, pt.Neuron) {
			if !ok {
				t.Errorf("point %d (%s): f%d = %.6g, NEURON 8.2.2 %.6g (band %.2g)", pt.Index, pt.Dataset, k, r.Objectives[k], pt.Neuron[k], RefBand(pt.Neuron[k]))
			}
		}
		t.Logf("point %d (%s): %.5f, NEURON %.5f", pt.Index, pt.Dataset, r.Objectives, pt.Neuron)
	}
}

// TestAgreesCaTie: a Ca peak within 1e-5 mM of the threshold may count
// on either side; one further away may not; a plain miss is a miss.
func TestAgreesCaTie(t *testing.T) {
	d, _ := Load()
	thr := d.Fixed.CaPenaltyMM
	mk := func(peaks ...float64) *Result {
		r := &Result{Objectives: []float64{0.5}}
		pen := 0.0
		for _, p := range peaks {
			r.Experiments = append(r.Experiments, ExperimentResult{CaPeakMM: p})
			if p > thr {
				pen += p
			}
		}
		r.Objectives = append(r.Objectives, pen)
		return r
	}
	// spinerd just above, NEURON just below (penalty 0): a tie.
	if ok := d.Agrees(mk(thr+5e-6, 0.0015), []float64{0.5, 0}); !ok[0] || !ok[1] {
		t.Errorf("tied peak above the threshold: %v", ok)
	}
	// spinerd just below, NEURON counted a 0.01 peak elsewhere and the tie.
	if ok := d.Agrees(mk(thr-5e-6, 0.01), []float64{0.5, 0.01 + thr}); !ok[1] {
		t.Errorf("tied peak below the threshold: %v", ok)
	}
	// A penalty off by more than the band is a miss.
	if ok := d.Agrees(mk(0.0300), []float64{0.5, 0.0350}); ok[1] {
		t.Error("a Ca penalty 5e-3 off agreed")
	}
	if ok := d.Agrees(mk(0.01), []float64{0.503, 0.01}); ok[0] {
		t.Error("an objective 3e-3 off agreed")
	}
}

// TestEvaluateJobsIndependent: the objectives do not depend on how many
// experiments run at once, and a bad parameter vector is refused.
func TestEvaluateJobsIndependent(t *testing.T) {
	d, _ := Load()
	base, _, _ := models.SpineModel()
	pt := neuronPoints(t)[5]
	ds, err := d.Dataset(pt.Dataset)
	if err != nil {
		t.Fatal(err)
	}
	v := ds.Variants[pt.Variant]
	a, err := d.Evaluate(context.Background(), base, ds, v, d.Spaces["fewer"], pt.Params, Options{Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := d.Evaluate(context.Background(), base, ds, v, d.Spaces["fewer"], pt.Params, Options{Jobs: 3})
	if !slices.Equal(a.Objectives, b.Objectives) {
		t.Errorf("jobs 1: %v, jobs 3: %v", a.Objectives, b.Objectives)
	}
	bad := Params{}
	for k, x := range pt.Params {
		bad[k] = x
	}
	delete(bad, "Lflux")
	if _, err := d.Evaluate(context.Background(), base, ds, v, d.Spaces["fewer"], bad, Options{}); err == nil {
		t.Error("a parameter vector without Lflux accepted")
	}
	// A step budget too small gives the missing-result error.
	r, err := d.Evaluate(context.Background(), base, ds, v, d.Spaces["fewer"], pt.Params, Options{MaxSteps: 100})
	if err != nil || r.Objectives[0] != 1e8 || r.Objectives[len(r.Objectives)-1] < 1e8 {
		t.Errorf("budget exhausted: %v, %v", r, err)
	}
}

// TestProtocolFromSteadyState: Prepare starts from the resting state and
// a deterministic 4xHFS potentiates.
func TestProtocolFromSteadyState(t *testing.T) {
	base, _, _ := models.SpineModel()
	p, _ := protocol.ByName("4xHFS", protocol.NeuroRDTiming(), 0)
	sys, note, err := Prepare(base, p, protocol.Edits{}, FromSteadyState, "ode", 1000)
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(sys)
	if _, err := deterministic.Run(context.Background(), sys, deterministic.Options{}, rec); err != nil {
		t.Fatal(err)
	}
	s, _ := FromSpecies(rec.IDs, rec.Times, rec.Frames, ampa.RandomTetramers)
	// At rest before the train: flat; after: potentiated.
	if d := math.Abs(s.At(30_000)/s.At(40_000) - 1); d > 1e-4 {
		t.Errorf("not at rest before the train: g changes by %.2g (%s)", d, note)
	}
	if r := s.At(500_000) / s.At(40_000); r < 2 {
		t.Errorf("4xHFS from rest: ×%.3f", r)
	}
	if _, _, err := Prepare(base, p, protocol.Edits{Blocked: []protocol.Scale{{Species: "Nope", Factor: 2}}}, FromInitial, "ode", 0); err == nil {
		t.Error("blocking an unknown species accepted")
	}
}
