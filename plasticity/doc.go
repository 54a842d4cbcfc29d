// Package plasticity is the science layer of Mäki-Marttunen et al. 2020
// (eLife 9:e55714) on top of the engines: it turns runs of the spine model
// into the AMPA-receptor conductance and its change, g/g0, which decides
// whether a protocol potentiates or depresses the synapse.
//
// It owns:
//   - conductance of runs (Series, FromRun, FromFile, FromSpecies): the
//     tetramer conductance (package ampa) of the membrane GluR1/GluR2
//     counts summed over the spine, in pS;
//   - protocol runs (ProtocolRun): a protocol and edits (package
//     protocol) applied to a model, started from the computed resting
//     state (Pip2 clamped through its moiety) or from the initial
//     concentrations, run deterministically or as a stochastic ensemble,
//     and g/g0 reported at chosen times, g0 just before the first pulse;
//   - the fitted data sets and their objectives exactly as the original
//     fitting code (fitter_fewer.py) defines them (Data, Evaluate,
//     Problem for package fit), with the experiments, targets and
//     parameter spaces embedded as data (data/, with provenance).
//
// Units: times in ms, conductance in pS, Ca peaks and penalties in mM as
// the original code reports them, fluxes in particles/ms.
package plasticity
