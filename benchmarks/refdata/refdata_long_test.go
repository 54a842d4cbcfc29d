//go:build long

package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/spinerd/spinerd/internal/testenv"
)

// TestTestdataFromShared: the repository's testdata folder is exactly
// what this command writes from ../shared: every file present and equal
// byte for byte, none missing, none extra (but README.md).
func TestTestdataFromShared(t *testing.T) {
	want, err := Build(testenv.Shared(t))
	if err != nil {
		t.Fatal(err)
	}
	root := testenv.Testdata(t)
	seen := map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "README.md" {
			return nil
		}
		data, ok := want[rel]
		if !ok {
			t.Errorf("testdata/%s: not written by benchmarks/refdata", rel)
			return nil
		}
		seen[rel] = true
		got, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, data) {
			t.Errorf("testdata/%s differs from what benchmarks/refdata writes (%d bytes, want %d): rerun it", rel, len(got), len(data))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for rel := range want {
		if !seen[rel] {
			t.Errorf("testdata/%s is missing: rerun go run ./benchmarks/refdata", rel)
		}
	}
	t.Logf("%d files checked", len(seen))
}
