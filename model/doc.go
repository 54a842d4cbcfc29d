// Package model owns the description of a reaction–diffusion model and its
// compilation into the numeric System that engines run.
//
// A Model is declarative and keeps the units of its source file (nM,
// pmol/m², µm, ms, molecules/ms, kdiff in the unit it names). Validate
// checks it and reports every problem with file, line, element and value.
// Compile converts units once: after it everything is molecules, ms, µm and
// µm³. It computes, following NeuroRD 3.3 (see
// ../shared/docs/neurord-format.md):
//
//   - expected initial counts c·V·PUVC and σ·a·PUVC (PUVC = 0.602214179
//     molecules per µm³ per nM) with NeuroRD's fallback rules: concentration
//     sets fall back per species from the region's set to the default set;
//     a submembrane voxel uses one surface set (its region's, else the
//     default) whose values replace the volume-derived counts (§5, P7, P8).
//     System.InitialCounts rounds them stochastically from a seed;
//   - one-way reaction channels in NeuroRD's order with propensity
//     k·Ω^(1−P)·Π X(X−1)…(X−p+1), Ω = V·PUVC, no 1/p! factor, zero when a
//     reactant has fewer than n molecules (§3.3);
//   - diffusion hops a→b at D·G_ab/V_a per molecule (§3.4);
//   - the stimulus schedule: pulses of `rate` molecules/ms in total, where a
//     periodic train with end = onset + N·period + duration has N+1 pulses,
//     as NeuroRD reads it (§6), split over target voxels equally or, for
//     ":submembrane" sites, by exposed membrane area.
//
// Where NeuroRD's behaviour is a bug rather than a convention spinerd does
// what the file means and warns how NeuroRD differs: later trains of
// non-periodic stimuli are delivered (P12), an end inside a pulse truncates
// it (P13), and fixed-step propensities follow the rate law (P11).
package model
