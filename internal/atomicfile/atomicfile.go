// Package atomicfile writes files so that a reader never sees a partial
// one: data goes to a temporary file in the same directory, which is
// renamed over the target only after everything was written and synced.
// A target that exists and is not a regular file (/dev/null, a named
// pipe: Direct) is written in place instead. Target is that choice and
// the file's end (Finish, Publish, Discard), for every writer that renames;
// File is a Target written through a buffer.
package atomicfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spinerd/spinerd/internal/fileerr"
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

// Target is the file a renaming writer writes: a temporary file beside
// the final path, or, when the path is Direct, the path itself. A writer
// puts its bytes into F in whatever order it needs, then calls Finish
// (sync and close) and Publish (the final name), or Discard; a writer of
// several files finishes them all before it publishes any.
type Target struct {
	Path   string   // the final name
	Temp   string   // the name written; Path itself when Direct
	F      *os.File // open for writing until Finish or Discard
	closed bool
	public bool // Publish ran: the file is the user's now
}

// OpenTarget opens a new temporary file in path's directory for path, or
// path itself when it is Direct. A path the final rename could not
// replace (a directory) is refused at once (CheckTarget).
func OpenTarget(path string) (*Target, error) {
	if err := CheckTarget(path); err != nil {
		return nil, err
	}
	if isDirect(path) {
		f, err := openDirect(path)
		if err != nil {
			return nil, err
		}
		return &Target{Path: path, Temp: path, F: f}, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, fileerr.Cause(err))
	}
	return &Target{Path: path, Temp: f.Name(), F: f}, nil
}

// OpenPart is OpenTarget with the temporary file named part (created or
// truncated), for a writer whose unfinished file is meant to be found
// and read (a trajectory's PATH.part).
func OpenPart(path, part string) (*Target, error) {
	if err := CheckTarget(path); err != nil {
		return nil, err
	}
	if isDirect(path) {
		return OpenTarget(path)
	}
	f, err := os.Create(part)
	if err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, fileerr.Cause(err))
	}
	return &Target{Path: path, Temp: part, F: f}, nil
}

// Direct reports whether the target is written in place: it is then never
// synced, renamed or removed.
func (t *Target) Direct() bool { return t.Temp == t.Path }

// Finish ends writing: the file is synced (unless Direct) and closed. The
// error names the final path, the name a user knows.
func (t *Target) Finish() error {
	var err error
	if !t.Direct() {
		err = t.F.Sync()
	}
	if cerr := t.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", t.Path, err)
	}
	return nil
}

// Publish gives a finished temporary file the final name (mode 0644, as a
// file a user creates); a Direct target already has it. On an error the
// temporary file is removed and an older file at the final name stays.
func (t *Target) Publish() error {
	if t.Direct() {
		return nil
	}
	os.Chmod(t.Temp, 0o644)
	if err := os.Rename(t.Temp, t.Path); err != nil {
		os.Remove(t.Temp)
		return fmt.Errorf("cannot write %s: %w", t.Path, fileerr.Cause(err))
	}
	t.public = true
	return nil
}

// Discard closes the file if it is open and removes a temporary one; the
// final name is left as it was. It may follow Finish; after Publish it
// does nothing (a deferred Discard guards every early return), and a
// Direct target is only closed.
func (t *Target) Discard() {
	t.close()
	if !t.Direct() && !t.public {
		os.Remove(t.Temp)
	}
}

func (t *Target) close() error {
	if t.closed {
		return nil
	}
	t.closed = true
	return t.F.Close()
}

// File is a file being written under a temporary name (Create): what is
// written goes to the temporary file, buffered; Commit puts it in place,
// Abort removes it. A writer that produces its bytes over a long time (a
// table grown row by row during a run) streams them instead of holding
// them in memory.
type File struct {
	t     *Target
	bw    *bufio.Writer
	ended bool // Commit or Abort ran
}

// Create starts writing path: a temporary file in the same directory, or
// path itself when it is Direct.
func Create(path string) (*File, error) {
	t, err := OpenTarget(path)
	if err != nil {
		return nil, err
	}
	return &File{t: t, bw: bufio.NewWriter(t.F)}, nil
}

// Write writes to the temporary file.
func (a *File) Write(p []byte) (int, error) {
	n, err := a.bw.Write(p)
	if err != nil {
		err = fmt.Errorf("writing %s: %w", a.t.Path, err)
	}
	return n, err
}

// Commit flushes, syncs and renames the temporary file over the target;
// on an error the target is untouched and the temporary file removed.
func (a *File) Commit() error {
	if a.ended {
		return fmt.Errorf("writing %s: already committed or aborted", a.t.Path)
	}
	if err := a.bw.Flush(); err != nil {
		a.Abort()
		return fmt.Errorf("writing %s: %w", a.t.Path, err)
	}
	if err := a.t.Finish(); err != nil {
		a.Abort()
		return err
	}
	a.ended = true
	return a.t.Publish()
}

// Abort drops what was written: the temporary file is closed and removed
// and the target left as it was. After Commit or another Abort it does
// nothing, so a deferred Abort guards every early return.
func (a *File) Abort() {
	if a.ended {
		return
	}
	a.ended = true
	a.t.Discard()
}

// CheckTarget reports, before any work is done, a target that a final
// rename could not replace: an existing directory.
func CheckTarget(path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("cannot write %s: it is a directory", path)
	}
	return nil
}

// isDirect reports whether path is to be written in place rather than
// through a temporary file renamed over it: it exists and is neither a
// regular file nor a directory (/dev/null, /dev/stdout, a named pipe). A
// rename would replace such a file itself (as root, the device node of
// /dev/null becomes a regular file) or fail for want of write permission
// on its directory; and a reader of a device or pipe never sees the file
// whole anyway.
func isDirect(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.Mode().IsRegular() && !st.IsDir()
}

// openDirect opens a Direct target for writing, as it is.
func openDirect(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, fileerr.Cause(err))
	}
	return f, nil
}
