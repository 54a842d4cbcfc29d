package deterministic

import (
	"context"
	"testing"
)

// BenchmarkSpineModel times the deterministic runs of the Mäki-Marttunen
// protocols at the default tolerances (rtol 1e-6, atol 1e-6 nM).
func BenchmarkSpineModel(b *testing.B) {
	for _, file := range []string{"Model_HFS1.xml", "Model_4xHFS.xml", "Model_LFS.xml"} {
		b.Run(file, func(b *testing.B) {
			sys := spineModel(b, file, 0)
			for b.Loop() {
				st, err := Run(context.Background(), sys, Options{}, nil)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(st.Steps), "steps/op")
			}
		})
	}
}

// BenchmarkSteadyState times the resting state of the spine model with
// Pip2 clamped.
func BenchmarkSteadyState(b *testing.B) {
	sys := spineModel(b, "Model_rest.xml", 0)
	for b.Loop() {
		if _, err := SteadyState(sys, nil, SteadyOptions{Clamp: []string{"Pip2"}}); err != nil {
			b.Fatal(err)
		}
	}
}
