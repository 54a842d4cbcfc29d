// Package atomicfile writes files so that a reader never sees a partial
// one: data goes to a temporary file in the same directory, which is
// renamed over the target only after everything was written and synced.
// A target that exists and is not a regular file (/dev/null, a named
// pipe: Direct) is written in place instead; every writer that renames
// asks Direct first.
package atomicfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write creates path with the bytes produced by fill. On any error the
// target is left untouched (an older file of that name survives) and the
// temporary file is removed.
func Write(path string, fill func(w io.Writer) error) (err error) {
	f, err := Create(path)
	if err != nil {
		return err
	}
	if err = fill(f); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// File is a file being written under a temporary name (Create): what is
// written goes to the temporary file, buffered; Commit puts it in place,
// Abort removes it. A writer that produces its bytes over a long time (a
// table grown row by row during a run) streams them instead of holding
// them in memory.
type File struct {
	path, tmp string
	f         *os.File
	bw        *bufio.Writer
	ended     bool // Commit or Abort ran
}

// Create starts writing path: a temporary file in the same directory, or
// path itself when it is Direct.
func Create(path string) (*File, error) {
	if err := CheckTarget(path); err != nil {
		return nil, err
	}
	f, tmp, err := Open(path)
	if err != nil {
		return nil, err
	}
	return &File{path: path, tmp: tmp, f: f, bw: bufio.NewWriter(f)}, nil
}

// Open opens the file a writer that renames writes path through: a new
// temporary file in path's directory, or path itself when it is Direct
// (tmp == path: the writer then neither syncs, renames nor removes it).
func Open(path string) (f *os.File, tmp string, err error) {
	if Direct(path) {
		f, err := OpenDirect(path)
		return f, path, err
	}
	f, err = os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, "", fmt.Errorf("cannot write %s: %w", path, unwrap(err))
	}
	return f, f.Name(), nil
}

// Write writes to the temporary file.
func (a *File) Write(p []byte) (int, error) {
	n, err := a.bw.Write(p)
	if err != nil {
		err = fmt.Errorf("writing %s: %w", a.path, err)
	}
	return n, err
}

// Commit flushes, syncs and renames the temporary file over the target;
// on an error the target is untouched and the temporary file removed.
func (a *File) Commit() (err error) {
	if a.ended {
		return fmt.Errorf("writing %s: already committed or aborted", a.path)
	}
	defer func() {
		if err != nil {
			a.Abort()
		}
	}()
	if err = a.bw.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", a.path, err)
	}
	if a.tmp == a.path { // Direct
		a.ended = true
		if err = a.f.Close(); err != nil {
			return fmt.Errorf("writing %s: %w", a.path, err)
		}
		return nil
	}
	if err = a.f.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", a.path, err)
	}
	if err = a.f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", a.path, err)
	}
	if err = os.Chmod(a.tmp, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", a.path, err)
	}
	if err = os.Rename(a.tmp, a.path); err != nil {
		return fmt.Errorf("cannot write %s: %w", a.path, unwrap(err))
	}
	a.ended = true
	return nil
}

// Abort drops what was written: the temporary file is closed and removed
// and the target left as it was. After Commit or another Abort it does
// nothing, so a deferred Abort guards every early return.
func (a *File) Abort() {
	if a.ended {
		return
	}
	a.ended = true
	a.f.Close()
	if a.tmp != a.path {
		os.Remove(a.tmp)
	}
}

func unwrap(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	if le, ok := err.(*os.LinkError); ok {
		return le.Err
	}
	return err
}

// CheckTarget reports, before any work is done, a target that a final
// rename could not replace: an existing directory.
func CheckTarget(path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("cannot write %s: it is a directory", path)
	}
	return nil
}

// Direct reports whether path is to be written in place rather than
// through a temporary file renamed over it: it exists and is neither a
// regular file nor a directory (/dev/null, /dev/stdout, a named pipe). A
// rename would replace such a file itself (as root, the device node of
// /dev/null becomes a regular file) or fail for want of write permission
// on its directory; and a reader of a device or pipe never sees the file
// whole anyway.
func Direct(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.Mode().IsRegular() && !st.IsDir()
}

// OpenDirect opens a Direct target for writing, as it is.
func OpenDirect(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, unwrap(err))
	}
	return f, nil
}
