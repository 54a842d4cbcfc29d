//go:build !linux

package hugepages

// Back does nothing where madvise(MADV_HUGEPAGE) does not exist.
func Back(nbytes int64) int64 { return 0 }
