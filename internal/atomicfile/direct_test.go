//go:build unix

package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestDirect: a target that is not a regular file (a named pipe here, as
// /dev/null in use) is written in place: its reader gets every byte, it
// is still a pipe afterwards, no temporary file appears beside it, and an
// Abort does not remove it.
func TestDirect(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if !isDirect(fifo) || isDirect(filepath.Join(dir, "absent")) || isDirect(dir) {
		t.Fatal("isDirect: want true for a pipe only")
	}
	read := func() <-chan string {
		got := make(chan string, 1)
		go func() {
			r, err := os.Open(fifo)
			if err != nil {
				got <- "open: " + err.Error()
				return
			}
			defer r.Close()
			b, _ := io.ReadAll(r)
			got <- string(b)
		}()
		return got
	}
	got := read()
	err := Write(fifo, func(w io.Writer) error {
		for i := range 1000 {
			fmt.Fprintf(w, "%d\n", i)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := <-got; len(s) != 3890 || !strings.HasSuffix(s, "999\n") {
		t.Fatalf("the pipe's reader got %d bytes, want 3890", len(s))
	}
	got = read()
	f, err := Create(fifo)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "partial")
	f.Abort()
	<-got
	st, err := os.Stat(fifo)
	if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("after writing and an abort the pipe is %v (%v)", st.Mode(), err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) != 1 {
		t.Errorf("files beside the pipe: %v", m)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*")); len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
	}
}
