// Package deterministic integrates the deterministic (mass-action,
// continuum) limit of a compiled model and finds its resting states. It
// owns the right-hand side and its sparse Jacobian, a sparse LU, a
// variable-order BDF integrator, and the steady-state solver.
//
// # Equations and units
//
// The state is the real number of molecules of every species in every
// voxel, y[v·ns+s] (the same layout as model.System.Initial and the
// stochastic engines' counts), and time is in ms. A channel with constant
// k (nM^(1−P)/ms, as written in the model) fires at
//
//	rate = k·Ω_v^(1−P)·Π y_r^p_r   molecules/ms,   Ω_v = V_v·0.602214179 molecules/nM,
//
// the continuum limit of NeuroRD's propensity (falling factorials become
// powers); every firing changes each species by its net stoichiometry,
// so a reactant with n > 1 is consumed n at a time and d[A]/dt = −2k[A]²
// for 2A → … written with power 2. Diffusion is linear exchange between
// neighbouring voxels (D·G/V per molecule per ms, the same hops as the
// stochastic engines), and an injection adds `rate` molecules/ms, split
// over its target voxels, while a pulse is on. Rates use the signed
// amounts, as NEURON's rxd does, so that the small negative excursions any
// implicit integrator makes near zero decay back to zero instead of
// persisting, and a step that makes an amount negative beyond its error
// tolerance is rejected and retried shorter (CVODE's inequality
// constraints), so excursions stay within the tolerance
// (Options.ClampRates restores NeuroRD-like clamping at zero).
//
// Tolerances are given in concentrations: the error test weights
// component i by atol_i + rtol·|y_i| with atol_i = AtolNM·Ω_v molecules,
// which is the same test on nM. Defaults: rtol 1e-6, atol 1e-6 nM.
//
// # Integrator
//
// Run integrates with the variable-order (1–5), variable-step BDF method in
// the quasi-constant step size form of Shampine and Reichelt (The MATLAB
// ODE suite, SIAM J Sci Comput 18:1, 1997): the history is a table of
// backward differences; a step-size change re-interpolates the table;
// the order is chosen after k+1 equal steps from error estimates at
// orders k−1, k and k+1; the error test uses the weighted RMS norm. The
// corrector is a simplified Newton iteration with CVODE's convergence test
// (Hindmarsh et al., ACM TOMS 31:3, 2005): a running rate estimate, at most
// three iterations, and a divergence check. The iteration matrix
// I − (h/α_k)·J is factored only when h/α_k has changed by more than 30 %
// since the last factorisation (the stale one is used with CVODE's
// correction factor 2/(1+γ ratio)), and the Jacobian is re-evaluated only
// when Newton fails with a stale one, as CVODE does.
//
// The Jacobian is analytic and sparse (each reaction touches at most a few
// species; diffusion couples a species with itself in neighbouring
// voxels). It is factored by a sparse LU without pivoting on a fixed,
// symmetric fill-reducing permutation (minimum degree), whose symbolic
// factorisation is computed once per run; see sparseLU. A pivot that loses
// twelve digits falls back to a dense LU with partial pivoting.
//
// Stimuli make the right-hand side piecewise constant in time: Run stops
// exactly at every stimulus edge and restarts the method there at order 1
// (as NEURON restarts CVODE at every flux switch). Output times are
// evaluated at the exact time from the integrator's interpolating
// polynomial, which has the order of the step that covers them. Steps are
// taken in time since the last restart, so that steps of 1e-9 ms near
// t = 500,000 ms keep their precision.
//
// # Steady state
//
// SteadyState solves f(x) = 0 with the conserved moieties fixed (the left
// null space of the stoichiometry, from an SVD), by damped, projected
// Gauss–Newton on the stacked system, with a fallback to integration when
// Newton does not converge. Sinks — species that are produced and never
// consumed — are excluded, and species that the sinks drain can be
// clamped; see SteadyState for the exact definition.
package deterministic
