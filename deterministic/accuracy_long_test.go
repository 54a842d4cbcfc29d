//go:build long

package deterministic

import "testing"

// The 500 s 4×HFS protocol takes about 7 s for both runs.
func TestAccuracy4xHFS(t *testing.T) { checkAgainstTight(t, "Model_4xHFS.xml", 1e-4) }
