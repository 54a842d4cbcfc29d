package deterministic

import (
	"context"
	"slices"
	"testing"

	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/models"
)

// TestCache: runs that take their structure from a Cache give the same
// states as runs that derive it; a model with a reaction switched off has
// another structure.
func TestCache(t *testing.T) {
	m, _, err := models.SpineModel()
	if err != nil {
		t.Fatal(err)
	}
	compile := func(m *model.Model) *model.System {
		m.Settings.RuntimeMs, m.Settings.HasRuntime = 2000, true
		sys, _, err := model.Compile(m, model.Options{Method: "ode"})
		if err != nil {
			t.Fatal(err)
		}
		return sys
	}
	run := func(sys *model.System, c *Cache) []float64 {
		y := append([]float64(nil), sys.Initial...)
		if _, err := integrate(context.Background(), sys, Options{Rtol: 1e-6, AtolNM: 1e-6, Cache: c}, y, nil); err != nil {
			t.Fatal(err)
		}
		return y
	}
	sys := compile(m)
	off := *m
	off.Reactions = slices.Clone(m.Reactions)
	off.Reactions[5].ForwardRate = 0
	sysOff := compile(&off)
	var c Cache
	for _, s := range []*model.System{sys, sysOff} {
		want := run(s, nil)
		for range 2 {
			if got := run(s, &c); !slices.Equal(got, want) {
				t.Fatal("a run with the cached structure differs from one without")
			}
		}
	}
	if len(c.m) != 2 {
		t.Errorf("%d cached structures, want 2", len(c.m))
	}
}
