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
	rel, t0 := s.Relative(onsetMs)
	if t0 != onsetMs {
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

type regressionPoint struct {
	Imeas      int                `json:"imeas"`
	Space      string             `json:"parameter_space"`
	Variant    string             `json:"protocol_variant"`
	Params     map[string]float64 `json:"params"`
	Objectives []float64          `json:"objectives"`
}

func regressionPoints(t testing.TB) []regressionPoint {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.Testdata(t), "data", "fit-regression-points.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Points []regressionPoint `json:"points"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Points
}

// Reproduced lists the regression points (indices into
// ../shared/data/fit-regression-points.json) whose every objective
// spinerd reproduces within 0.01 + 5 % of the original. The other nine
// carry solver error in the original numbers (CVODE with a 1 nM pure
// absolute tolerance): see `go run ./benchmarks/regression -sensitivity`
// and the README.
var reproduced = []int{1, 5, 6, 7, 10, 11, 12, 14, 15, 16, 17, 18, 19}

// TestRegressionSubset evaluates a representative subset of the points
// the original code computed (one per protocol family: HFS, 312 Hz, TBS
// 50×4, 0.1 Hz, TBS + LFS, Kotak; two that are not reproduced): for the
// reproduced ones every objective is within 0.01 + 5 %; for all, the Ca
// penalty is (it depends only on the Ca dynamics and fluxes). For the
// ones that are not, spinerd's values must be converged: a solution with
// rtol 1e-9 gives the same objectives within 1e-3, so the difference to
// the original is not spinerd's solver error.
func TestRegressionSubset(t *testing.T) {
	d, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	base, _, err := models.SpineModel()
	if err != nil {
		t.Fatal(err)
	}
	pts := regressionPoints(t)
	for _, i := range []int{1, 6, 11, 12, 15, 19, 8, 20} {
		pt := pts[i]
		ds := &d.Datasets[pt.Imeas]
		res, err := d.Evaluate(context.Background(), base, ds, ds.Variants[pt.Variant], d.Spaces[pt.Space], pt.Params, Options{Jobs: 2})
		if err != nil {
			t.Fatal(err)
		}
		band := func(k int) bool {
			return math.Abs(res.Objectives[k]-pt.Objectives[k]) <= 0.01+0.05*math.Abs(pt.Objectives[k])
		}
		last := len(pt.Objectives) - 1
		if !band(last) {
			t.Errorf("point %d (%s): Ca penalty %.6g, original %.6g", i, ds.Caption, res.Objectives[last], pt.Objectives[last])
		}
		if slices.Contains(reproduced, i) {
			for k := 0; k < last; k++ {
				if !band(k) {
					t.Errorf("point %d (%s): f%d = %.6g, original %.6g", i, ds.Caption, k, res.Objectives[k], pt.Objectives[k])
				}
			}
		} else {
			tight, err := d.Evaluate(context.Background(), base, ds, ds.Variants[pt.Variant], d.Spaces[pt.Space], pt.Params, Options{Jobs: 2, Rtol: 1e-9, AtolNM: 1e-6})
			if err != nil {
				t.Fatal(err)
			}
			for k := range res.Objectives {
				if math.Abs(tight.Objectives[k]-res.Objectives[k]) > 1e-3 {
					t.Errorf("point %d (%s): f%d = %.6g, with rtol 1e-9 %.6g: not converged", i, ds.Caption, k, res.Objectives[k], tight.Objectives[k])
				}
			}
		}
		t.Logf("point %d (%s): %.4f, original %.4f", i, ds.Caption, res.Objectives, pt.Objectives)
	}
}

// TestEvaluateJobsIndependent: the objectives do not depend on how many
// experiments run at once, and a bad parameter vector is refused.
func TestEvaluateJobsIndependent(t *testing.T) {
	d, _ := Load()
	base, _, _ := models.SpineModel()
	pt := regressionPoints(t)[5]
	ds := &d.Datasets[pt.Imeas]
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
