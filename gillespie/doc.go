// Package gillespie simulates a compiled model (model.System)
// stochastically: the exact stochastic simulation algorithm, asynchronous
// adaptive tau-leaping and fixed-step tau-leaping, with diffusion between
// voxels and injections. Engines take a *model.System, options, a seed and
// a model.Sink; they never read files or print. Units: molecules, ms.
//
// # Channels
//
// Every reaction channel in every voxel, every diffusion hop (a→b of one
// species) and every (stimulus, target voxel) pair is one channel with
// NeuroRD's propensity: k·Ω^(1−P)·Π X(X−1)…(X−p+1), zero when a reactant
// has fewer than n molecules (Ω = V·0.602214179 molecules/nM); D·G/V·X for
// a hop; the stimulus rate × the voxel's share while a pulse is on.
//
// # Exact (GRID_EXACT)
//
// The next-subvolume method (Elf & Ehrenberg 2004): one clock per voxel,
// drawn from the voxel's total propensity, in a binary heap; the firing
// channel is found by a linear search over the voxel's channels kept in
// order of recent activity (sorting direct method, McCollum et al. 2006),
// which needs only a few comparisons because a few channels dominate.
// After an event only the dependent channels are recomputed (a static
// dependency graph) and only the clocks of the voxels whose total changed
// are redrawn, which is exact because waits are exponential. The choice
// over composition–rejection: for the spine model (413 channels in one
// voxel, 3–4 fast pairs carrying most events) the sorting search costs less
// than maintaining rejection groups, and the heap is only over voxels.
// Evenly timed injections (distribution EXACT) are deterministic timers.
//
// # Adaptive (GRID_ADAPTIVE)
//
// Asynchronous tau-leaping in the spirit of NeuroRD's (Jędrzejewski-Szmek
// & Blackwell, J. Chem. Phys. 144:125104, 2016). Channels are grouped in
// units: a reversible reaction in a voxel (both directions), a hop pair
// a↔b of one species, an irreversible reaction, an injection. A unit is
// simulated event by event by the exact engine until, after one of its
// firings (or at the end of its previous leap), a leap of length τ is
// allowed and worth it (at least 2·leap_min_jump expected firings). A
// leap samples the unit's extent at once, applies it, takes the unit out
// of the exact engine, and reconsiders the unit at t+τ. Leaps never cross
// a barrier: an output time or a stimulus edge.
//
// Extents never make counts negative: a direction that its reactants
// allow to fire n times fires Bin(n, p) times; a pair's net extent is the
// difference of its two directions' binomials, each bounded by its own
// reactants. For a pair, p = r·m with r the direction's rate per firing its
// limiting reactant allows and m = (1 − e^{−λτ})/λ, λ the sum of both
// directions' r: for a first-order exchange (A ⇌ B, A + B ⇌ C with B in
// excess, a hop pair) each molecule then switches sides with exactly the
// probability it has after τ, so long leaps relax fast buffering reactions
// correctly instead of overshooting. Rates are taken at the expected
// midpoint of the leap, which removes the first-order bias of a leap along
// a changing propensity.
//
// The length τ is the largest that keeps these bounds, ε being the
// model's <tolerance>:
//
//   - external drift: the other channels that change a count the unit
//     reads (their summed rates, counting each molecule changed) change it
//     by at most ε of itself during τ — this also keeps a leaping unit from
//     competing unseen with other fast channels for the same molecules;
//   - for pairs, every reactant other than a direction's limiting one (and
//     a limiting one of power ≥ 2) changes by at most ε of itself, counting
//     the mean and two standard deviations of the net extent; and the
//     expected net change of every count others read stays within
//     max(ε of it, one molecule), so a pair far from equilibrium does not
//     move many molecules at once;
//   - for irreversible reactions, NeuroRD's bounds: each changed count that
//     others read holds at least 1/ε molecules per firing, and the
//     reactants change by at most ε of themselves;
//   - for injections, the injected species holds at least 1/ε molecules and
//     changes by at most ε of itself.
//
// Accuracy is checked against closed forms and the master equation (the
// package's tests), against the exact method, and against NeuroRD's own
// ensembles (benchmarks/neurordstats).
//
// # Fixed (GRID_STEPPED_STOCHASTIC)
//
// Steps of <fixedStepDt>: injections (Poisson), then diffusion
// (binomial leaving, multinomial split), then reactions, each channel
// firing Bin(n, min(1, a·dt/n)) times with the rate law's propensity (not
// NeuroRD's, which is 0.602 too small for multi-reactant and zero-order
// reactions).
//
// # Randomness and parallelism
//
// Each voxel has its own stream (PCG-DXSM from math/rand/v2, seeded from
// the run seed and the voxel index through SplitMix64); the binomial (BTRD,
// Hörmann 1993), Poisson (PTRS, Hörmann 1993) and exponential (ziggurat,
// Marsaglia & Tsang 2000) samplers are this package's own and never
// allocate. A run is a function of the seed only. With Options.Workers > 1
// the fixed method runs its phases on blocks of voxels in parallel, and the
// adaptive method cuts meshes of ≥ 128 voxels into domains run in parallel
// between exact boundary exchanges (see domains.go); the partition, the
// exchange windows and the streams do not depend on the number of workers,
// so the output is byte-identical for any Workers. The exact method is
// sequential: an exact SSA processes events in global time order.
package gillespie
