// Package h5 reads and writes the subset of HDF5 (File Format
// Specification version 2.0, the format of libhdf5 1.8–1.14) that
// NeuroRD's output files use, in pure Go.
//
// Writing produces what libhdf5 writes with its default, "earliest"
// format settings, which every HDF5 reader accepts (h5py, h5dump,
// PyTables, MATLAB, NeuroRD's own Java binding): a version 0 superblock,
// version 1 object headers, old-style groups (a symbol table: a version 1
// B-tree of symbol nodes and a local heap of names), attributes with a
// one-element dataspace, and datasets of fixed-point, IEEE float,
// fixed-length string and compound types stored contiguously or in
// chunks indexed by a version 1 B-tree, optionally through the shuffle
// and deflate (zlib) filters. A chunked dataset may have an unlimited
// first dimension and grow by appending whole rows (Appendable); its
// chunks are compressed and written as they fill, so memory stays at one
// chunk per dataset. All metadata is laid out when the Writer is closed,
// and the file is written under a temporary name and renamed then: a
// file with the final name is always complete, and a run that dies
// leaves no file with that name.
//
// Reading accepts version 0–3 superblocks, version 1 and 2 object headers
// with continuations, old-style groups and compact new-style groups (link
// messages), attributes (versions 1–3), and datasets that are compact,
// contiguous, or chunked with a version 1 B-tree index, through the
// shuffle, deflate and fletcher32 filters. Other features (dense link
// storage, other chunk indexes, variable-length data, other filters)
// give an error naming what is unsupported. A hostile or truncated file
// gives an error, never a panic: every address and length is checked
// against the file, structures are walked with cycle and depth limits,
// and no dataset is expanded beyond what its stored bytes can hold
// (deflate cannot expand data more than about 1032-fold).
//
// Why not github.com/scigolib/hdf5 (v0.14.0, pure Go): as released its
// filter-pipeline message is labelled version 2 but laid out as version 1
// and its deflate data is framed as gzip, not zlib, so h5dump and h5py
// cannot read its shuffled, compressed datasets (checked: h5dump reports
// filter id 0, and the library cannot read back its own file); a
// compound type can only be built from a type in its internal package;
// and its reader converts numeric data to float64. It is also not one of
// the project's approved dependencies. The format code here is written
// from the HDF5 File Format Specification and checked against the NeuroRD
// 3.3 fixtures, h5dump and h5py.
package h5
