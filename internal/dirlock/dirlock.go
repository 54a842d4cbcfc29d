// Package dirlock holds an advisory lock on an output directory (an
// ensemble's or a fit's), so that two processes never write one directory
// at once. The lock is flock(2) on DIR/.lock, released when the process
// exits however it exits (the kernel drops it with the file descriptor);
// the file records who holds it, for the message the second process gets.
// The file itself stays behind and means nothing without the lock.
package dirlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Name is the lock file's name inside the directory.
const Name = ".lock"

// Lock is a held lock.
type Lock struct{ f *os.File }

// HeldError reports a directory locked by another process.
type HeldError struct {
	Dir    string
	Holder string // what the holder wrote: pid, host, start time, command
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("%s is in use by another spinerd process (%s); wait for it to finish or stop it", e.Dir, e.Holder)
}

// Acquire locks dir (which must exist) for this process, or returns a
// *HeldError naming the holder.
func Acquire(dir string) (*Lock, error) {
	path := filepath.Join(dir, Name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot lock %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := "unknown holder"
		if b, rerr := os.ReadFile(path); rerr == nil && len(b) > 0 {
			holder = strings.TrimSpace(string(b))
		}
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &HeldError{Dir: dir, Holder: holder}
		}
		return nil, fmt.Errorf("cannot lock %s: %w", dir, err)
	}
	host, _ := os.Hostname()
	info := fmt.Sprintf("pid %d on %s since %s: %s", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339), strings.Join(os.Args, " "))
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(info+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Release drops the lock.
func (l *Lock) Release() {
	if l != nil && l.f != nil {
		syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
		l.f.Close()
		l.f = nil
	}
}
