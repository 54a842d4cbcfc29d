package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFile: a streamed file appears under its name only on Commit, with
// everything written; Abort leaves no file and no temporary one; a
// directory as the target is refused before anything is written.
func TestFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.csv")
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		fmt.Fprintf(f, "%d\n", i)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("the target exists before Commit")
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort() // after Commit: nothing
	data, err := os.ReadFile(path)
	if err != nil || len(data) != 3890 {
		t.Fatalf("committed %d bytes (%v), want 3890", len(data), err)
	}
	g, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(g, "partial")
	g.Abort()
	if g.Commit() == nil {
		t.Error("Commit after Abort succeeded")
	}
	if again, _ := os.ReadFile(path); string(again) != string(data) {
		t.Error("Abort changed the older file")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*")); len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
	}
	if _, err := Create(dir); err == nil {
		t.Error("Create accepted a directory")
	}
}

// TestTarget: a target is written under a temporary name beside the
// final one (or the part name given), appears with mode 0644 only on
// Publish, and leaves nothing behind on Discard or when Publish fails;
// an older file at the final name survives both; a directory as the
// target is refused when the target is opened.
func TestTarget(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	os.WriteFile(path, []byte("old"), 0o600)
	left := func() []string {
		m, _ := filepath.Glob(filepath.Join(dir, "*out.txt?*"))
		return m
	}

	tg, err := OpenTarget(path)
	if err != nil {
		t.Fatal(err)
	}
	if tg.Direct() || filepath.Dir(tg.Temp) != dir || tg.Temp == path {
		t.Fatalf("temporary file %s for %s", tg.Temp, path)
	}
	fmt.Fprint(tg.F, "discarded")
	if err := tg.Finish(); err != nil {
		t.Fatal(err)
	}
	tg.Discard()
	if b, _ := os.ReadFile(path); string(b) != "old" || len(left()) > 0 {
		t.Fatalf("after Discard: %q, left %v", b, left())
	}

	tg, err = OpenPart(path, path+".part")
	if err != nil {
		t.Fatal(err)
	}
	if tg.Temp != path+".part" {
		t.Fatalf("part name %s", tg.Temp)
	}
	fmt.Fprint(tg.F, "new")
	if err := tg.Finish(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatal("the final name changed before Publish")
	}
	if err := tg.Publish(); err != nil {
		t.Fatal(err)
	}
	// A deferred Discard after Publish leaves alone a new file that has
	// the temporary file's name (another run's .part).
	os.WriteFile(path+".part", []byte("next"), 0o644)
	tg.Discard()
	if _, err := os.Stat(path + ".part"); err != nil {
		t.Error("Discard after Publish removed a file by the temporary name")
	}
	os.Remove(path + ".part")
	st, err := os.Stat(path)
	if b, _ := os.ReadFile(path); err != nil || string(b) != "new" || st.Mode().Perm() != 0o644 || len(left()) > 0 {
		t.Fatalf("after Publish: %q, %v, left %v", b, st.Mode(), left())
	}

	// A rename that cannot happen: the final name has become a directory
	// that is not empty.
	tg, err = OpenTarget(path)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(path)
	os.MkdirAll(filepath.Join(path, "x"), 0o755)
	if err := tg.Finish(); err != nil {
		t.Fatal(err)
	}
	err = tg.Publish()
	if err == nil || !strings.HasPrefix(err.Error(), "cannot write "+path+": ") || strings.Count(err.Error(), path) != 1 {
		t.Fatalf("Publish onto a directory: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".out.txt.tmp-*")); len(m) > 0 {
		t.Errorf("temporary file left after a failed Publish: %v", m)
	}
	// Opened now, the directory is refused before anything is written.
	for _, open := range []func() (*Target, error){
		func() (*Target, error) { return OpenTarget(path) },
		func() (*Target, error) { return OpenPart(path, path+".part") },
	} {
		if _, err := open(); err == nil || err.Error() != "cannot write "+path+": it is a directory" {
			t.Errorf("a directory as the target: %v", err)
		}
	}
}
