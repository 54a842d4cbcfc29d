package fit

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestDamagedCheckpoint: a checkpoint altered by hand or cut short is
// refused on resume with an error naming it, never a panic: bounds,
// rows and the reference point of another size, a population not of
// the configured size, parameters outside their bounds, a negative
// generation. (rng_state is a record: a resumed generation derives its
// generator from the seed and its number.)
func TestDamagedCheckpoint(t *testing.T) {
	prob, vars := zdt(1, 5)
	cfg := Config{Variables: vars, Objectives: []string{"f1", "f2"}, N: 8, Generations: 6, Seed: 2, RefPoint: []float64{1.1, 1.1}}
	good := t.TempDir()
	if _, err := Run(context.Background(), prob, cfg, Options{Dir: good, StopAfter: 2}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(good, CheckpointName))
	if err != nil {
		t.Fatal(err)
	}
	row := func(cp map[string]any, i int) map[string]any {
		return cp["population"].([]any)[i].(map[string]any)
	}
	for name, damage := range map[string]func(cp map[string]any){
		"bounds":          func(cp map[string]any) { cp["bounds"] = cp["bounds"].([]any)[:2] },
		"x":               func(cp map[string]any) { row(cp, 3)["x"] = []any{0.5} },
		"objectives":      func(cp map[string]any) { row(cp, 0)["objectives"] = []any{} },
		"population":      func(cp map[string]any) { cp["population"] = cp["population"].([]any)[:3] },
		"no population":   func(cp map[string]any) { delete(cp, "population") },
		"x out of bounds": func(cp map[string]any) { row(cp, 1)["x"].([]any)[0] = 1e9 },
		"reference point": func(cp map[string]any) { cp["reference_point"] = []any{1.1} },
		"generation":      func(cp map[string]any) { cp["generation"] = -5 },
		"truncated":       nil,
	} {
		dir := t.TempDir()
		out := data[:len(data)/2]
		if damage != nil {
			var cp map[string]any
			if err := json.Unmarshal(data, &cp); err != nil {
				t.Fatal(err)
			}
			damage(cp)
			out, _ = json.Marshal(cp)
		}
		os.WriteFile(filepath.Join(dir, CheckpointName), out, 0o644)
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s: panic %v", name, p)
				}
			}()
			if _, err := Run(context.Background(), prob, cfg, Options{Dir: dir, Resume: true}); err == nil {
				t.Errorf("%s: resumed", name)
			}
		}()
	}
}
