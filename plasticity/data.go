package plasticity

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

// experiments.json: the experiments, data sets, targets and parameter
// spaces the paper fitted (ModelDB 260971: NEURON/protocols_many*.py,
// fitter_fewer.py, fitter_manyb_check_given.py), numbers only; null
// targets are NaN (no data at that time).
//
//go:embed data/experiments.json
var experimentsJSON []byte

// Experiment is one simulated experiment: a fitting protocol, the
// coefficients that multiply the fitted fluxes, and its edits.
type Experiment struct {
	ID       int                `json:"id"`
	Protocol int                `json:"protocol"`
	Coef     map[string]float64 `json:"flux_coefficients"`
	Blocked  *struct {
		Species []string `json:"species"`
		Factor  float64  `json:"factor"`
	} `json:"blocked"`
	Altered *struct {
		KS     []int   `json:"ks_indices"`
		Factor float64 `json:"factor"`
	} `json:"altered"`
}

// Variant is a data set as one protocols_many*.py file defines it.
type Variant struct {
	Experiments []int        `json:"experiments"`
	Labels      []string     `json:"labels"`
	Targets     [][]*float64 `json:"targets"`
	SDs         [][]*float64 `json:"stds"`
}

// Target returns target m of experiment k (NaN: no data).
func (v *Variant) Target(k, m int) float64 {
	if p := v.Targets[k][m]; p != nil {
		return *p
	}
	return math.NaN()
}

// Dataset is one of the eleven fitted data sets.
type Dataset struct {
	Imeas         int                 `json:"imeas"`
	Caption       string              `json:"caption"`
	TargetTimesMs []float64           `json:"target_times_ms"`
	CaFluxUpper   float64             `json:"caflux_upper_bound_per_ms"`
	Variants      map[string]*Variant `json:"variants"`
}

// Fixed are the fitting runs' settings.
type Fixed struct {
	DurationMs       float64 `json:"duration_ms"`
	CaOnsetMs        float64 `json:"ca_onset_ms"`
	StepOnsetMs      float64 `json:"l_ach_step_onset_ms_simpleflux"`
	GridStartMs      float64 `json:"output_grid_start_ms"`
	GridStepMs       float64 `json:"output_grid_step_ms"`
	CaPenaltyMM      float64 `json:"ca_penalty_threshold_mM"`
	MissingResultErr float64 `json:"missing_result_error"`
}

// Space is a parameter space: variables with bounds, and for "fewer" the
// species each IC factor scales.
type Space struct {
	Name      string
	Variables []Variable
	ICSpecies map[string][]string
}

// Variable is a fitted parameter; an upper bound of NaN stands for the
// data set's Ca-flux bound.
type Variable struct {
	Name      string
	Low, High float64
}

// Data is the whole table.
type Data struct {
	Fixed       Fixed
	Experiments []Experiment
	Datasets    []Dataset
	Spaces      map[string]*Space
}

// Load parses the embedded table.
func Load() (*Data, error) {
	var raw struct {
		Fixed       Fixed        `json:"fixed"`
		Experiments []Experiment `json:"experiments"`
		Datasets    []Dataset    `json:"datasets"`
		Spaces      map[string]struct {
			Variables [][3]any            `json:"variables"`
			ICSpecies map[string][]string `json:"ic_species"`
		} `json:"parameter_spaces"`
	}
	if err := json.Unmarshal(experimentsJSON, &raw); err != nil {
		return nil, fmt.Errorf("embedded experiments: %w", err)
	}
	d := &Data{Fixed: raw.Fixed, Experiments: raw.Experiments, Datasets: raw.Datasets, Spaces: map[string]*Space{}}
	for name, sp := range raw.Spaces {
		s := &Space{Name: name, ICSpecies: sp.ICSpecies}
		for _, v := range sp.Variables {
			n, _ := v[0].(string)
			lo, _ := v[1].(float64)
			hi, ok := v[2].(float64)
			if !ok {
				hi = math.NaN() // "caflux_upper_bound_per_ms"
			}
			s.Variables = append(s.Variables, Variable{n, lo, hi})
		}
		d.Spaces[name] = s
	}
	return d, nil
}

// Dataset returns the data set with the given caption (e.g. "VC-1") or
// index ("7").
func (d *Data) Dataset(name string) (*Dataset, error) {
	var names []string
	for i := range d.Datasets {
		ds := &d.Datasets[i]
		if strings.EqualFold(ds.Caption, name) || fmt.Sprint(ds.Imeas) == name {
			return ds, nil
		}
		names = append(names, ds.Caption)
	}
	return nil, fmt.Errorf("unknown data set %q (known: %s)", name, strings.Join(names, ", "))
}

// Variant returns a variant of the data set.
func (ds *Dataset) Variant(name string) (*Variant, error) {
	if v, ok := ds.Variants[name]; ok {
		return v, nil
	}
	var names []string
	for n := range ds.Variants {
		names = append(names, n)
	}
	sort.Strings(names)
	return nil, fmt.Errorf("data set %s has no variant %q (known: %s)", ds.Caption, name, strings.Join(names, ", "))
}

// DefaultVariant is the protocol file the paper's fits of a parameter
// space used: protocols_many_78withoutCK for "fewer", protocols_many for
// "manyb".
func DefaultVariant(space string) string {
	if space == "manyb" {
		return "protocols_many"
	}
	return "protocols_many_78withoutCK"
}

// Bounds returns the space's bounds for a data set (the Ca-flux upper
// bound depends on it).
func (s *Space) Bounds(ds *Dataset) (names []string, low, high []float64) {
	for _, v := range s.Variables {
		names = append(names, v.Name)
		low = append(low, v.Low)
		h := v.High
		if math.IsNaN(h) {
			h = ds.CaFluxUpper
		}
		high = append(high, h)
	}
	return
}

// Experiment returns experiment id.
func (d *Data) Experiment(id int) (*Experiment, error) {
	for i := range d.Experiments {
		if d.Experiments[i].ID == id {
			return &d.Experiments[i], nil
		}
	}
	return nil, fmt.Errorf("no experiment %d", id)
}

// SpaceOf guesses the parameter space from parameter names: "manyb" when
// a manyb-only name (e.g. IC_CK) appears, else "fewer".
func (d *Data) SpaceOf(params map[string]float64) string {
	for n := range params {
		found := false
		for _, v := range d.Spaces["fewer"].Variables {
			if v.Name == n {
				found = true
			}
		}
		if !found {
			return "manyb"
		}
	}
	return "fewer"
}
