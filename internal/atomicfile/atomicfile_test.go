package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
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
