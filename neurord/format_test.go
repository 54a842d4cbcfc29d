package neurord

import "testing"

// TestFormatG5 checks Java's %.5g rules (NeuroRD notes §8.5) on values
// seen in NeuroRD's mesh files and on the edge cases of the rules.
func TestFormatG5(t *testing.T) {
	for x, want := range map[float64]string{
		0: "0.0000", 1: "1.0000", 0.5: "0.50000", 0.08: "0.080000", 100: "100.00",
		2.7755575615628914e-17: "2.7756e-17", 1e5: "1.0000e+05", 5.551115123125783e-17: "5.5511e-17",
		-2.220446049250313e-16: "-2.2204e-16", 56.888888888888886: "56.889", 0.0031415926535897933: "0.0031416",
		12345: "12345", 99999.5: "1.0000e+05", 1e-4: "0.00010000", 9.99996e-5: "0.00010000", 9.9999e-5: "9.9999e-05",
		1.03125: "1.0313", // exact binary tie: Java rounds half up
		-1.5:    "-1.5000", 1.2e-300: "1.2000e-300", 0.6666666666666666: "0.66667",
	} {
		if got := FormatG5(x); got != want {
			t.Errorf("FormatG5(%v) = %q, want %q", x, got, want)
		}
	}
}
