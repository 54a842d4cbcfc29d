package gillespie

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/spinerd/spinerd/internal/testenv"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
)

type discard struct{}

func (discard) Counts(int, float64, []int64) error { return nil }

func benchModel(b *testing.B, rel string, opt model.Options) *model.System {
	sys, _, err := neurord.Compile(filepath.Join(testenv.Testdata(b), rel), opt)
	if err != nil {
		b.Fatal(err)
	}
	return sys
}

// BenchmarkExactMMRest reports the exact SSA's cost per event on the
// Mäki-Marttunen spine model at rest (Model_rest.xml, 20 s simulated per
// iteration, about 10.7 million events).
func BenchmarkExactMMRest(b *testing.B) {
	sys := benchModel(b, "models/maki-marttunen-2020/Model_rest.xml", model.Options{Method: "exact"})
	var events int64
	start := time.Now()
	for i := 0; i < b.N; i++ {
		st, err := Run(context.Background(), sys, Options{}, uint64(i+1), discard{})
		if err != nil {
			b.Fatal(err)
		}
		events += st.ExactEvents
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(events), "ns/event")
}

// BenchmarkAdaptiveMMHFS times the adaptive method on one HFS train of
// the spine model (Model_HFS1.xml, ε = 0.01, 12 s simulated).
func BenchmarkAdaptiveMMHFS(b *testing.B) {
	sys := benchModel(b, "models/maki-marttunen-2020/Model_HFS1.xml", model.Options{Method: "adaptive"})
	for i := 0; i < b.N; i++ {
		if _, err := Run(context.Background(), sys, Options{}, uint64(i+1), discard{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMultiscaleMMHFS times the multiscale method on the same run
// as BenchmarkAdaptiveMMHFS (their ratio is speed.sh's HFS1 row without
// process start).
func BenchmarkMultiscaleMMHFS(b *testing.B) {
	sys := benchModel(b, "models/maki-marttunen-2020/Model_HFS1.xml", model.Options{Method: "multiscale"})
	for i := 0; i < b.N; i++ {
		if _, err := Run(context.Background(), sys, Options{}, uint64(i+1), discard{}); err != nil {
			b.Fatal(err)
		}
	}
}
