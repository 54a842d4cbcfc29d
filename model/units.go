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
