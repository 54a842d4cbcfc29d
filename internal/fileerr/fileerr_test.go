package fileerr

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestCause: the path and operation go, the reason stays; an error
// without them is returned as it is.
func TestCause(t *testing.T) {
	dir := t.TempDir()
	_, err := os.Open(filepath.Join(dir, "absent"))
	if c := Cause(err); !errors.Is(c, fs.ErrNotExist) || c.Error() != "no such file or directory" {
		t.Errorf("open: Cause = %q", c)
	}
	err = os.Rename(filepath.Join(dir, "absent"), filepath.Join(dir, "b"))
	if c := Cause(fmt.Errorf("moving: %w", err)); !errors.Is(c, fs.ErrNotExist) || c.Error() != "no such file or directory" {
		t.Errorf("rename: Cause = %q", c)
	}
	plain := errors.New("plain")
	if Cause(plain) != plain {
		t.Error("an error without a path changed")
	}
}
