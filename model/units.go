package model

import (
	"fmt"
	"strings"
)

// PUVC is NeuroRD's conversion constant: molecules per µm³ per nM
// (1 nM in 1 µm³ is 0.602214179 molecules). It also converts surface
// densities: molecules per µm² per pmol/m².
const PUVC = 0.602214179

// NumberDensityToNanoMolar converts molecules per µm³ to nM as NeuroRD
// does for <NumberDensity> (10²⁴ / 6.022·10²³).
const NumberDensityToNanoMolar = 1e24 / 6.022e23

// DiffusionUnitFactor returns the factor that converts a kdiff written in
// unit to µm²/ms. The unit strings are NeuroRD's (µ is U+00B5 MICRO SIGN,
// ² is U+00B2); an empty unit means µm²/s.
func DiffusionUnitFactor(unit string) (float64, error) {
	switch strings.TrimSpace(unit) {
	case "", "µm²/s", "mu2/s":
		return 1e-3, nil
	case "µm²/ms", "mu2/ms":
		return 1, nil
	case "cm²/s", "cm2/s":
		return 1e5, nil
	case "m2/s":
		return 1e9, nil
	}
	return 0, fmt.Errorf("unknown diffusion unit %q (use mu2/s, mu2/ms, cm2/s or m2/s)", unit)
}

// Method is a simulation method.
type Method int

const (
	// MethodAdaptive is asynchronous adaptive tau-leaping (GRID_ADAPTIVE).
	MethodAdaptive Method = iota
	// MethodExact is the exact stochastic simulation algorithm (GRID_EXACT).
	MethodExact
	// MethodFixed is fixed-step tau-leaping (GRID_STEPPED_STOCHASTIC).
	MethodFixed
	// MethodODE is the deterministic limit (GRID_STEPPED_DETERMINISTIC or
	// GRID_STEPPED_CONTINUOUS in NeuroRD files).
	MethodODE
	// MethodMultiscale is adaptive tau-leaping with fast subsystems in
	// partial equilibrium (spinerd only; NeuroRD would run the file as
	// GRID_ADAPTIVE).
	MethodMultiscale
)

// String returns the name used by spinerd's --method flag.
func (m Method) String() string {
	switch m {
	case MethodExact:
		return "exact"
	case MethodFixed:
		return "fixed"
	case MethodODE:
		return "ode"
	case MethodMultiscale:
		return "multiscale"
	}
	return "adaptive"
}

// UsesTolerance reports whether the method reads <tolerance> (ε).
func (m Method) UsesTolerance() bool { return m == MethodAdaptive || m == MethodMultiscale }

// Calculation returns NeuroRD's <calculation> name of m.
func (m Method) Calculation() string {
	switch m {
	case MethodExact:
		return "GRID_EXACT"
	case MethodFixed:
		return "GRID_STEPPED_STOCHASTIC"
	case MethodODE:
		return "GRID_STEPPED_DETERMINISTIC"
	}
	return "GRID_ADAPTIVE"
}

// ParseCalculation maps a NeuroRD <calculation> value to a Method.
func ParseCalculation(s string) (Method, bool) {
	switch strings.TrimSpace(s) {
	case "GRID_ADAPTIVE":
		return MethodAdaptive, true
	case "GRID_EXACT":
		return MethodExact, true
	case "GRID_STEPPED_STOCHASTIC":
		return MethodFixed, true
	case "GRID_STEPPED_DETERMINISTIC", "GRID_STEPPED_CONTINUOUS":
		return MethodODE, true
	}
	return 0, false
}

// ParseMethod maps a --method name (exact, adaptive, multiscale, fixed,
// ode) to a Method.
func ParseMethod(s string) (Method, error) {
	switch s {
	case "adaptive":
		return MethodAdaptive, nil
	case "exact":
		return MethodExact, nil
	case "fixed":
		return MethodFixed, nil
	case "ode":
		return MethodODE, nil
	case "multiscale":
		return MethodMultiscale, nil
	}
	if m, ok := ParseCalculation(s); ok {
		return m, nil
	}
	return 0, fmt.Errorf("unknown method %q (use exact, adaptive, multiscale, fixed or ode)", s)
}
