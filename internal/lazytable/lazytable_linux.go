//go:build linux

package lazytable

import "syscall"

// mapZero maps size bytes of zero pages, backed at the first write (nil if
// the kernel refuses).
func mapZero(size int) []byte {
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_NORESERVE)
	if err != nil {
		return nil
	}
	return mem
}

func unmap(mem []byte) { _ = syscall.Munmap(mem) }
