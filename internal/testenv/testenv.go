// Package testenv locates the data tests read: the repository's own
// testdata folder (what the default `go test ./...` needs) and the shared
// reference data beside the repository (../shared, or $SPINERD_SHARED),
// which only tests built with `-tags long` and the benchmarks read.
package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// moduleRoot returns the folder holding go.mod, searched upwards from the
// test's working directory (its package folder).
func moduleRoot(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("cannot find the module root (go.mod)")
		}
	}
}

// Testdata returns the path of the repository's testdata folder (model
// files and compact NeuroRD reference facts, laid out like the shared
// folder; see testdata/README.md). It fails the test when the folder is
// missing.
func Testdata(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(moduleRoot(t), "testdata")
	if _, err := os.Stat(filepath.Join(dir, "models")); err != nil {
		t.Fatalf("test data not found at %s: the repository's testdata folder is incomplete", dir)
	}
	return dir
}

// Shared returns the path of the shared folder (docs, models, reference
// runs) for tests built with `-tags long`. It fails the test when the
// folder is missing: the reference checks are real checks and must not
// silently pass.
func Shared(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv("SPINERD_SHARED"); dir != "" {
		return dir
	}
	shared := filepath.Join(moduleRoot(t), "..", "shared")
	if _, err := os.Stat(filepath.Join(shared, "models")); err != nil {
		t.Fatalf("reference data not found at %s: clone the repository next to the shared folder or set SPINERD_SHARED", shared)
	}
	return shared
}
