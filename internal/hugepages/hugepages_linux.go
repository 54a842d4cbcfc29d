package hugepages

import (
	"runtime"
	"syscall"
	"unsafe"
)

const (
	hugePage     = 2 << 20
	madvHugepage = 14 // MADV_HUGEPAGE
)

// Back prepares about nbytes of heap to be backed by huge pages and
// reports how many bytes it marked (0: too small to matter, or the kernel
// refused the hint). It never takes more than a quarter of the machine's
// memory, and it costs one garbage collection.
func Back(nbytes int64) int64 {
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err == nil {
		nbytes = min(nbytes, int64(si.Totalram)*int64(si.Unit)/4)
	}
	if nbytes < 4*hugePage {
		return 0
	}
	b := make([]byte, nbytes)
	base := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := int((base+hugePage-1)&^(hugePage-1) - base)
	hi := lo + (len(b)-lo)&^(hugePage-1)
	marked := int64(hi - lo)
	if err := syscall.Madvise(b[lo:hi], madvHugepage); err != nil {
		marked = 0
	}
	runtime.KeepAlive(b)
	b = nil
	runtime.GC()
	return marked
}
