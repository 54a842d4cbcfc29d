// Package traj owns spinerd's trajectory file (.traj): the compressed,
// crash-safe record of one run, specified in FORMAT.md beside this file.
//
// A file is a magic, a zstd-compressed JSON Header (provenance: spinerd
// version, model source and full text with includes resolved, method, ε
// or fixed step, seed; the layout: species, voxels with volumes (µm³),
// regions and corners (µm), output sets), then chunks of frames of one
// output set each, then an index and a footer. A chunk holds up to 256
// frames: times (ms, float64) and values column by column — molecule
// counts as zig-zag varints of the change from the previous frame
// (stochastic runs), or real molecule numbers XORed with the previous
// frame's bits (deterministic runs) — zstd-compressed, with a CRC-32C.
//
// Writer streams frames (Create, Counts or Values, Close) to NAME.part and
// renames it to NAME only after the index is written and synced, so a file
// under its final name is complete. Reader (Open, Header, Frames) reads
// any file, including a killed run's .part: without a valid footer it
// keeps every chunk whose CRC checks out up to the first that does not,
// and Truncated says what was recovered. Values are molecules, times ms.
// Package runfile reads trajectories together with the other run files
// spinerd understands.
package traj
