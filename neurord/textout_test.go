package neurord

import (
	"testing"
)

func TestFormatJavaDouble(t *testing.T) {
	for x, want := range map[float64]string{0: "0.0", 100: "100.0", 0.30000000000000004: "0.30000000000000004",
		1e7: "1.0E7", 1e-4: "1.0E-4", 199.99999999996308: "199.99999999996308", 2000: "2000.0", 1.5e-5: "1.5E-5", 12345678: "1.2345678E7"} {
		if got := FormatJavaDouble(x); got != want {
			t.Errorf("FormatJavaDouble(%v) = %q, want %q", x, got, want)
		}
	}
}
