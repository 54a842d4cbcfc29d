// Package gillespie simulates a compiled model (model.System)
// stochastically: the exact stochastic simulation algorithm, asynchronous
// adaptive tau-leaping, adaptive tau-leaping with fast subsystems in
// partial equilibrium (multiscale) and fixed-step tau-leaping, with
// diffusion between voxels and injections. Engines take a *model.System, options, a seed and
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
// drawn from the voxel's total propensity, in a tournament tree; the firing
// channel is found by a linear search over the voxel's channels kept in
// order of recent activity (sorting direct method, McCollum et al. 2006),
// which needs only a few comparisons because a few channels dominate.
// After an event only the dependent channels are recomputed (a static
// dependency graph) and only the clocks of the voxels whose total changed
// are redrawn, which is exact because waits are exponential. The choice
// over composition–rejection: for the spine model (413 channels in one
// voxel, 3–4 fast pairs carrying most events) the sorting search costs less
// than maintaining rejection groups, and the tree is only over voxels.
// Evenly timed injections (distribution EXACT) are deterministic timers.
//
// # Adaptive (--method adaptive; NeuroRD's GRID_ADAPTIVE algorithm)
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
// # Multiscale (GRID_ADAPTIVE by default, --method multiscale)
//
// The adaptive method, in which subsystems that relax much faster than
// the channels that read them are advanced in partial equilibrium, in the
// manner of the slow-scale SSA (Cao, Gillespie & Petzold, J. Chem. Phys.
// 122:014116, 2005) with the fast subsystems found, and released, during
// the run. A subsystem is either
//
//   - a reversible pair: a reaction and its reverse in one voxel (buffer
//     binding, enzyme–substrate complexes), or
//   - the hops of one species inside a cluster of voxels: a node of a
//     hierarchy of the mesh built once by recursive spectral bisection of
//     its diffusion couplings (each node split along the sign of the
//     slowest mode of its diffusion generator), so that clusters follow
//     the mesh's bottlenecks (spine necks).
//
// While a subsystem is active its channels fire no events and no leaps.
// Its species' counts are known only through the totals it conserves;
// their law is the subsystem's quasi-stationary distribution given those
// totals, computed exactly: for a pair, the birth–death chain on the
// pair's line of states weighted by detailed balance with NeuroRD's
// propensities (summed outward from the mode until the terms fall below
// 1e-17 of it, and cached by totals; in closed form, a binomial, when
// the pair is first order once its abundant species are held at their
// counts), and for a cluster the multinomial of its total with
// probabilities proportional to the voxels' volumes (the equilibrium of
// NeuroRD's hop rates D·G/V). Every other channel that reads the species
// (a slow channel) uses the conditional expectation of its propensity:
// the falling-factorial moments of that law. A species whose count exceeds
// (σ+1)·2/ε, σ the standard deviation of the pair's extent, is abundant:
// the pair hardly changes it, and it is read from its count as usual,
// which costs at most ε/2 relative in the propensities that read it. The
// counts in the state vector are a representative of the totals; they are
// drawn from the conditional law at every output time and stimulus edge
// and when the subsystem is released.
//
// Error control, with ε the model's <tolerance>:
//
//   - Lag. Under the slow channels' drift v (their expected rates of
//     change of the subsystem's species, the readers' at the conditional
//     expectations), a subsystem relaxing at rate λ lags behind its
//     quasi-stationary law. For a pair δ = (I − J)·v/λ (J the response of
//     the conditional means to one molecule more of each species). For a
//     cluster δ = R·r, r the drift per voxel at the law T·w and R the
//     response of its counts with the hops out of the cluster as the
//     drains they are: R = (−G + P·H + w·1ᵀ)⁻¹·P, G the generator of the
//     hops inside, H the rates per molecule of the hops out of each voxel,
//     P = I − w·1ᵀ (clusterResponse; without drains the pseudo-inverse of
//     −G, the first-order lag). A border voxel drained into a spine then
//     lags by what its drain and its mixing allow; the first-order lag
//     overshoots there (to negative counts once a drain exceeds the hops
//     that refill its voxel). The lag takes the counts' shape as fixed
//     while the total changes at dT/dt; the shape's own change is a drift
//     the lag misses, whose response δ₂ = −R·δ·(dT/dt)/T is added to the
//     lag in the check (the second-order term, computed rather than
//     assumed small). A pair must keep every |δ_s| ≤ ε·max(E[x_s], 1): the
//     propensities of its readers are then within ε of those of the full
//     dynamics, to first order. A cluster must keep the summed propensity
//     of every reaction reading it (and of the hops leaving it) within ε,
//     and every voxel within max(ε·E[X_v], 1) molecules — one molecule at
//     low counts, as the adaptive method's pair bound. The drift counts
//     every slow channel, injections included, at its current rate;
//     because it is measured from current counts it is averaged over one
//     relaxation time 1/λ (the filter through which a drift becomes a
//     lag), and a failing check ends partial equilibrium when it persists
//     for 1/λ.
//   - Drift correction. A linear subsystem — a cluster (diffusion moves
//     each molecule independently) or a linear pair (A ⇌ C once its
//     abundant species are held at their counts: the fixed buffer,
//     calbindin and NCX binding Ca) — has independent molecules, so its
//     lag under a drift that changes little over 1/λ is not an error to
//     bound but the deterministic δ above, exact for a constant drift (an
//     injection) and to first order in the separation otherwise. When
//     the subsystem is fast — 1/λ at most ε of the length of the current
//     segment between stimulus edges (of any stimulus; the run's start
//     and end otherwise), so that after an edge its lag builds up, and
//     within the segment follows the drift, in a negligible part of the
//     segment — it keeps partial equilibrium when its lag exceeds the
//     bound: its law is the one of independent molecules whose mean lags
//     by δ — for a cluster the multinomial with probabilities w_v + δ_v/T
//     (w the volume shares; a voxel whose share cannot carry its lag
//     fails the check), for a pair the binomial of its total whose mean
//     of A lies on the slow manifold below —, which its readers' moments,
//     its leaps, the thinning and its samples all use. For a pair the
//     lag is not expanded: the slow channels that consume A or C at first
//     order (hops out, binding to an abundant partner) at kA and kC per
//     molecule, and produce them at rates J_A and J_C that do not depend
//     on the pair (hops in, release by another partner), keep the means
//     on the line E[A | T] = r·T + c, r the share of A in the
//     quasi-stationary law of a molecule not yet consumed (the smaller
//     root of Δk·r² − (λ+Δk)·r + β = 0, Δk = kA − kC, β the rate C → A)
//     and c = (J_A − r·(J_A+J_C))/(λ + kA − r·Δk): exact for constant
//     rates whatever their ratio to λ, and without consumption the
//     first-order δ above. The law follows T between checks as the
//     dynamics do (a shift held in molecules, as the first-order
//     correction was, went stale while calbindin's binding leapt against
//     the fixed buffer's total for a millisecond at a time: C of such a
//     test model 26 standard errors low; TestBufferedPair). For clusters
//     the terms left are of second order, bounded as above (and by the
//     separation check below). The correction is recomputed at every check; the
//     check then bounds, by the lag bound, what the correction in effect
//     since the last check missed, except at a stimulus edge, where the
//     correction changes at once. The drift filter starts from no drift
//     at the start of the run. A candidate enters on the same terms, with
//     the correction computed by its last check. A subsystem that is not
//     fast has no correction and the plain lag bound. An active cluster's
//     correction takes the drift its slow channels realized rather than
//     their propensities at the check: the molecules they added to each
//     voxel since the last check over the time since (the hops in
//     included, the hops out being drains of R), low-passed over the
//     checks at rate λ. Propensities at one instant carry the noise of
//     the counts that drive them (a few Ca molecules in a spine voxel
//     binding calbindin), which the correction turned into noise of the
//     cluster's law — SDs of the calbindin and PKC region sums of
//     spine2020_dend doubled; a filter of each firing read just after the
//     firings that trigger the checks was biased by the last leap (CaOut
//     moved by 1,500 molecules between regions). Without the fast
//     condition, slowly mixing clusters (ATP, D = 0.001 µm²/ms, across
//     the spine necks of spine2020_dend, 1/λ of seconds) took the lag of a
//     steady drift they never reach: 14 k ATP molecules moved from the
//     dendrite into the other spines, |z| 36 against NeuroRD. In
//     Model_HFS1 the correction keeps the fixed-buffer pair (1/λ ≈ 5 µs,
//     pulses of 3 ms) in partial equilibrium through the Ca pulses of the
//     train and the pumping after it, where its lag is 5–30 times the
//     bound (single events 4.3 M → 1.0 M a run); in Model_mglur_spine-CaY
//     the buffer's clusters stay whole while glutamate binds it in the
//     spine (9.7 M → 1.8 M).
//   - Separation. The slow channels may consume a molecule of any species
//     at a rate of at most √ε·λ (for a cluster, its reactions, per
//     molecule of each of its voxels: averaged over the cluster, a sink in
//     a small voxel hides behind a large one's molecules), so that the
//     second-order terms of the expansion behind the lag, of order
//     (rate/λ)², stay below ε. A cluster that fails this is released at
//     once, without the persistence rule below. A fast linear pair takes
//     the first-order consumption of A and C exactly (its slow manifold),
//     so only the rest of their consumption is held to √ε·λ; instead a
//     molecule must leave the pair, once relaxed, at most at √ε of the
//     rate at which it relaxes (the two rates of one molecule's chain
//     A ⇌ C killed at kA and kC), and its total must behave as
//     independent molecules' does. Drawn by the slow channels at the
//     manifold's means, the total is a birth–death process whose deaths
//     have a part, Δk·c, that does not grow with T, so its variance
//     exceeds the Poisson variance of the exact dynamics by
//     |Δk·c|/(ρ·T), ρ = kA·r + kC·(1 − r); with drains from A alone that
//     is c/(r·T), the relative difference between the manifold's slope r
//     and A's share at the fixed point, which is what independent
//     molecules that are drained and come back keep given T. It must stay
//     below 2√ε (the total's SD within about √ε). The first-order rule
//     implied about √ε at its limit (consumption √ε·λ) without checking
//     it; 2√ε lets a pair carry about twice that consumption, as the
//     spine heads' fixed buffer does under a burst (Ca consumed by hops,
//     pumps and calbindin at 18-25 % of λ: spine2020_dend's single events
//     68.5 M → 49.8 M a run, seed 1). A pair whose species another fast
//     exchange drains and returns fails it (r near 0 against a share of
//     several per cent at the fixed point: calbindin binding Ca beside
//     the fixed buffer, TestBufferedPair; session 21's slow line without
//     this bound let such pairs in, |z| up to 11 against NeuroRD). At
//     stationarity with detailed balance the single-time law of partial
//     equilibrium is exact whatever the separation; the lag and the
//     separation bound the error of transients.
//   - Pulses. A stimulus edge checks, at once and without averaging, every
//     active subsystem whose species it injects: an injection into a fast
//     species enters the drift, and a pulse that drives the subsystem out
//     of equilibrium ends its partial equilibrium at the pulse edge; so do
//     the slow consequences of the pulse (binding, pumping) when their
//     drift grows, checked every 32 firings that touch the subsystem and
//     in a sweep of all active subsystems at every multiple of 10 ms of
//     simulated time. The sweeps are the engine's own clock, not the
//     output times, so that accuracy does not depend on how often a run
//     writes its counts; and they are one clock for all, not one per
//     subsystem started at its entry: a cluster that re-enters partial
//     equilibrium every few ms would restart its own clock each time and
//     never be checked by it (spine2020_dend's calbindin clusters: a bias
//     of 8 standard errors against NeuroRD with clocks per subsystem, as
//     with no periodic check at all; none with the sweeps). The
//     period is part of the error control: sweeps every 5 ms agree with
//     NeuroRD as well, every 20 ms let that calbindin drift by 5.9
//     standard errors.
//   - Fall-back and entry. A released subsystem's species are drawn from
//     its conditional law and its channels return to the adaptive engine
//     (single events or leaps). The channels that read or change an active
//     subsystem's (non-abundant) species leap where they see it only
//     through a total: hops at the border of a cluster (the other
//     channels may change each side's count, in mean and in standard
//     deviation, by at most max(ε of it, 1) during the leap, as in Cao,
//     Gillespie & Petzold 2006 — a bound by their gross rate kept the
//     hops between the CaM clusters of a dendrite, whose binding to Ng is
//     fast but balanced, to single events) and injections into a cluster
//     or a first-order pair, with the adaptive method's bounds applied to
//     the subsystem's total; and the reactions that read, first
//     order, only the species A of one active first-order pair A ⇌ C and
//     change only A and C (Ca + NCX and calbindin binding, and their
//     reverses, against Ca + fixed buffer), with T = A + C as the count of
//     A: their firings are binomial in T (no total goes below zero), the
//     other channels' net drift of T (at their conditional expectations)
//     may change T by at most ε·T over the leap, and the leap's own
//     expected change of T may move the conditional mean E[x | T] of
//     every species of the pair that other channels read by at most
//     max(ε·E[x], 1) molecules — the adaptive method's pair bound; the
//     pair is re-conditioned on the new total. The others run as single
//     events. A candidate enters partial
//     equilibrium when its check passes at half the lag bound (a
//     hysteresis) and has kept passing for the time in which the deviation
//     left by its last failure decays below the bound, ln(ρ)/λ, ρ the lag
//     measured then over the bound (ln(max(1/ε, ρ₀))/λ when that is
//     unknown, ρ₀ the present deviation from the conditional means over
//     the bound; a cluster whose initial concentrations are uniform is at
//     equilibrium from the start). An active cluster whose sibling
//     clusters are active is merged with them into their parent when the
//     parent qualifies; a candidate cluster takes over the active clusters
//     inside it.
//   - Cost. The readers of a cluster see its moments at a bound of its
//     total, updated only when the total leaves a 2 % window, and each of
//     their firings is accepted with the ratio of the moments at the total
//     and at the bound (thinning, exact because the moments grow with the
//     total). A pair's or a cluster's tables are built when it is first
//     tried, in an id reserved at the start (so that ids, and the order
//     in which a sweep checks them and a barrier samples them, do not
//     depend on which were built): most pairs of a mesh never fire, and a
//     cluster attempt skips the nodes checked less than a quarter of
//     their relaxation time ago before it scans their voxels.
//
// The run summary (Stats.Subsystems) lists the subsystems found, the
// fraction of the run they spent in partial equilibrium and the firings
// they absorbed (Stats.Absorbed). Accuracy is checked against exact
// conditional laws and slow-scale rates (the package's tests), against the
// exact method (benchmarks/exactref) and against NeuroRD
// (benchmarks/neurordstats).
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
// adaptive and multiscale methods cut meshes with ≥ 128 voxels outside
// the spines into domains, or into as many as Options.Domains asks (balanced in voxels
// and in the molecules the stimuli inject), run in parallel
// between exact boundary exchanges
// (see domains.go): each window is as long as the adaptive method's leap
// bound allows for the counts at the boundaries, a domain's leaps run past
// the windows to the next output time or stimulus edge, as in one block,
// their bounds counting the other domains' hops, and a multiscale domain
// keeps its fast subsystems in partial equilibrium at the boundaries too
// (the exchange draws from and updates their conditional laws; clusters
// do not span domains). The partition, the windows and the streams do not depend on the
// number of workers, so the output is byte-identical for any Workers. The
// exact method is sequential: an exact SSA processes events in global time
// order.
package gillespie
