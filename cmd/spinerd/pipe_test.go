//go:build unix

package main

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/spinerd/spinerd/internal/testenv"
	"github.com/spinerd/spinerd/traj"
)

// TestRunIntoPipe: `spinerd run -o P` where P exists and is not a regular
// file (a named pipe here; /dev/null is the common case) writes into P
// itself. Writing a temporary file and renaming it over P, as for a
// regular file, replaced /dev/null with a regular file when run as root.
// The pipe's reader gets the whole trajectory (its frames read back from
// a copy, footer included, as from the same run written to a file), P is
// still a pipe, and nothing else appears beside it.
func TestRunIntoPipe(t *testing.T) {
	model := filepath.Join(testenv.Testdata(t), "models", "neurord-examples", "Model_mglur_diff.xml")
	dir := t.TempDir()
	pipe := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(pipe, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		r, err := os.Open(pipe)
		if err != nil {
			got <- nil
			return
		}
		defer r.Close()
		b, _ := io.ReadAll(r)
		got <- b
	}()
	args := []string{"run", model, "--runtime", "200", "--seed", "3", "-q"}
	if code, _, errs := runCmd(append(args, "-o", pipe)...); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// (checked before waiting for the reader: had the run renamed a file
	// over the pipe, the reader would wait on the pipe forever)
	st, err := os.Stat(pipe)
	if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("after the run the pipe is %v (%v)", st.Mode(), err)
	}
	var data []byte
	select {
	case data = <-got:
	case <-time.After(time.Minute):
		t.Fatal("the pipe's reader got no end of file a minute after the run")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) != 1 {
		t.Errorf("files beside the pipe: %v", m)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*")); len(m) > 0 {
		t.Errorf("temporary files beside the pipe: %v", m)
	}
	piped := filepath.Join(t.TempDir(), "piped.traj")
	if err := os.WriteFile(piped, data, 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "file.traj")
	if code, _, errs := runCmd(append(args, "-o", file)...); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	frames := func(path string) (n int, last []int64) {
		r, err := traj.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if tr, why := r.Truncated(); tr {
			t.Fatalf("%s: truncated: %s", path, why)
		}
		err = r.Frames(0, 0, 1e9, func(_ float64, c []int64, _ []float64) error {
			n++
			last = append(last[:0], c...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n, last
	}
	np, lp := frames(piped)
	nf, lf := frames(file)
	if np != nf || np < 2 || len(lp) != len(lf) {
		t.Fatalf("piped: %d frames of %d counts; file: %d of %d", np, len(lp), nf, len(lf))
	}
	for k := range lp {
		if lp[k] != lf[k] {
			t.Fatalf("last frame differs at %d: %d piped, %d in the file", k, lp[k], lf[k])
		}
	}
}
