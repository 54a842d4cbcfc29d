// Package hugepages backs the Go heap a large simulation is about to
// allocate with transparent huge pages (2 MiB) where the kernel offers
// them on request only.
//
// Why: a spatial model's state (counts, channel records, the multiscale
// method's subsystems) is hundreds of MB on a dendrite with dozens of
// spines, and each event reads a few records in one random voxel. With
// 4 KiB pages nearly every such read also misses the TLB; the page walks
// cost more than the cache misses themselves. Go backs its heap with huge
// pages only when the system's policy is "always"
// (/sys/kernel/mm/transparent_hugepage/enabled); Debian and Ubuntu ship
// "madvise", under which a process must ask with madvise(MADV_HUGEPAGE),
// and the Go runtime does not. Measured on the 864-voxel dendrite of
// benchmarks/scaling (multiscale method, runs alternated on one machine):
// first 100 ms 46.3 → 41.1 s and 43.4 → 38.6 s; `spinerd run`, 300 ms,
// 77.4 → 75.4 s and 88.0 → 81.6 s; the 108-voxel one, 1 s, 22.5 → 21.2 s
// and 23.4 → 22.5 s. Outputs are unchanged (the same arithmetic on the
// same values; only the pages under them differ).
//
// How: Back allocates one untouched block of the expected size, marks its
// 2 MiB-aligned interior MADV_HUGEPAGE and frees it at once (runtime.GC);
// the simulation's allocations that follow reuse those pages, and the
// kernel maps them as huge pages when first written. The marking is a
// hint: without transparent huge pages (policy "never", other systems)
// nothing changes. No library does this for a Go heap (the Go runtime
// left huge-page policy to the system in Go 1.21.1), hence this package.
package hugepages
