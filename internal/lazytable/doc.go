// Package lazytable makes large tables of plain values whose memory the
// system backs only where they are written.
//
// Why: a domain's engine (package gillespie) indexes its per-instance
// tables by the instance's number in the whole mesh, so that its event
// loop needs no translation of indices, but it writes only the entries of
// its own voxels and their neighbours. Made with make, each of the 24 µm
// dendrite's 9 domains held its own zeroed copy of the whole mesh's
// tables (memory growing as the square of the dendrite's length); a
// table here is an anonymous memory mapping, whose pages the kernel maps
// at the first write, so that a domain's resident tables grow with its
// own voxels. (The Go heap cannot promise this: it clears reused memory
// before handing it out again, which writes every page.) No library does
// this for Go slices, hence this package.
//
// A table holds plain values only (no pointers, which the garbage
// collector would not see in such memory) and must be released with
// Release once its last use is over; where anonymous mappings are not
// available (other systems) Make falls back to the heap.
package lazytable
