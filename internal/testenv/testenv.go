// Package testenv locates the shared reference data (../shared beside the
// repository, or $SPINERD_SHARED) for tests.
package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// Shared returns the path of the shared folder (docs, models, reference
// runs). It fails the test when the folder is missing: the reference
// checks are real checks and must not silently pass.
func Shared(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv("SPINERD_SHARED"); dir != "" {
		return dir
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			shared := filepath.Join(dir, "..", "shared")
			if _, err := os.Stat(filepath.Join(shared, "models")); err != nil {
				t.Fatalf("reference data not found at %s: clone the repository next to the shared folder or set SPINERD_SHARED", shared)
			}
			return shared
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("cannot find the module root (go.mod)")
		}
	}
}
