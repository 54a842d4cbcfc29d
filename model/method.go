package model

import (
	"fmt"
	"strings"
)

// Method is a simulation method. Everything outside an engine that depends
// on which method runs reads the method's row of Methods (MethodInfo):
// its names, whether it is stochastic, which settings it uses.
type Method int

const (
	// MethodAdaptive is asynchronous adaptive tau-leaping: NeuroRD's
	// GRID_ADAPTIVE algorithm, selected by --method adaptive only.
	MethodAdaptive Method = iota
	// MethodExact is the exact stochastic simulation algorithm (GRID_EXACT).
	MethodExact
	// MethodFixed is fixed-step tau-leaping (GRID_STEPPED_STOCHASTIC).
	MethodFixed
	// MethodODE is the deterministic limit (GRID_STEPPED_DETERMINISTIC or
	// GRID_STEPPED_CONTINUOUS in NeuroRD files).
	MethodODE
	// MethodMultiscale is adaptive tau-leaping with fast subsystems in
	// partial equilibrium (spinerd's): what GRID_ADAPTIVE files get.
	MethodMultiscale
)

// MethodInfo describes a method: the one place that says what a method is
// called, what it needs and what it records.
type MethodInfo struct {
	Method Method
	// Name is the value of spinerd's --method flag.
	Name string
	// Calculation is the NeuroRD <calculation> spinerd writes for the
	// method (NeuroRD's nearest, for a method NeuroRD does not have).
	Calculation string
	// Selects are the <calculation> values that select the method when
	// no --method is given.
	Selects []string
	// Stochastic methods draw random numbers (a run depends on its seed,
	// ensembles make sense); the others are deterministic.
	Stochastic bool
	// UsesTolerance: the method's accuracy is set by ε (<tolerance>),
	// which is then part of a run's provenance.
	UsesTolerance bool
	// NeedsFixedStep: the method steps by <fixedStepDt>, which must be
	// positive and is then part of a run's provenance.
	NeedsFixedStep bool
	// Summary is a one-line description for help texts.
	Summary string
}

// Methods lists every method, in the order help texts show them.
func Methods() []MethodInfo {
	return []MethodInfo{
		{Method: MethodExact, Name: "exact", Calculation: "GRID_EXACT", Selects: []string{"GRID_EXACT"}, Stochastic: true,
			Summary: "exact SSA (next-subvolume method), one event at a time"},
		{Method: MethodAdaptive, Name: "adaptive", Calculation: "GRID_ADAPTIVE", Stochastic: true, UsesTolerance: true,
			Summary: "asynchronous adaptive tau-leaping with accuracy ε"},
		{Method: MethodMultiscale, Name: "multiscale", Calculation: "GRID_ADAPTIVE", Selects: []string{"GRID_ADAPTIVE"}, Stochastic: true, UsesTolerance: true,
			Summary: "adaptive tau-leaping with fast reactions and fast diffusion in partial equilibrium, accuracy ε"},
		{Method: MethodFixed, Name: "fixed", Calculation: "GRID_STEPPED_STOCHASTIC", Selects: []string{"GRID_STEPPED_STOCHASTIC"}, Stochastic: true, NeedsFixedStep: true,
			Summary: "fixed-step tau-leaping (<fixedStepDt>)"},
		{Method: MethodODE, Name: "ode", Calculation: "GRID_STEPPED_DETERMINISTIC", Selects: []string{"GRID_STEPPED_DETERMINISTIC", "GRID_STEPPED_CONTINUOUS"},
			Summary: "the deterministic limit by a sparse BDF solver"},
	}
}

// Info returns the method's row of Methods.
func (m Method) Info() MethodInfo {
	for _, mi := range Methods() {
		if mi.Method == m {
			return mi
		}
	}
	return MethodInfo{Method: m, Name: fmt.Sprintf("method(%d)", int(m))}
}

// String returns the name used by spinerd's --method flag.
func (m Method) String() string { return m.Info().Name }

// Calculation returns NeuroRD's <calculation> name of m.
func (m Method) Calculation() string { return m.Info().Calculation }

// ParseCalculation maps a NeuroRD <calculation> value to a Method.
func ParseCalculation(s string) (Method, bool) {
	s = strings.TrimSpace(s)
	for _, mi := range Methods() {
		for _, c := range mi.Selects {
			if c == s {
				return mi.Method, true
			}
		}
	}
	return 0, false
}

// ParseMethod maps a method name (or a NeuroRD <calculation> value) to a
// Method.
func ParseMethod(s string) (Method, error) {
	for _, mi := range Methods() {
		if mi.Name == s {
			return mi.Method, nil
		}
	}
	if m, ok := ParseCalculation(s); ok {
		return m, nil
	}
	return 0, fmt.Errorf("unknown method %q (use %s)", s, MethodNames(nil))
}

// MethodNames lists the names of the methods keep accepts (all when keep
// is nil) as "a, b or c", for messages and help texts.
func MethodNames(keep func(MethodInfo) bool) string {
	var names []string
	for _, mi := range Methods() {
		if keep == nil || keep(mi) {
			names = append(names, mi.Name)
		}
	}
	return orList(names)
}

// CalculationNames lists every <calculation> value spinerd reads.
func CalculationNames() string {
	var names []string
	for _, mi := range Methods() {
		if len(mi.Selects) > 0 {
			names = append(names, mi.Selects[0])
		}
	}
	return orList(names)
}

// Stochastic selects stochastic methods in MethodNames.
func Stochastic(mi MethodInfo) bool { return mi.Stochastic }

func orList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Provenance is what a run records about its method: the name, and the
// settings the method uses (zero when it does not use them).
type Provenance struct {
	Method      string
	Tolerance   float64 // ε, for methods that use it
	FixedStepMs float64 // the step, for methods that step by it
}

// Provenance returns what a run of s records about its method.
func (s *System) Provenance() Provenance {
	mi := s.Method.Info()
	p := Provenance{Method: mi.Name}
	if mi.UsesTolerance {
		p.Tolerance = s.Tolerance
	}
	if mi.NeedsFixedStep {
		p.FixedStepMs = s.FixedStepMs
	}
	return p
}
