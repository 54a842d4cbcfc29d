package models

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/spinerd/spinerd/ampa"
	"github.com/spinerd/spinerd/internal/testenv"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
)

// TestSameAsOriginal: the embedded model compiles to the same species,
// reaction channels (rates, stoichiometry) and initial amounts as the
// original files' Model_rest.xml.
func TestSameAsOriginal(t *testing.T) {
	m, _, err := SpineModel()
	if err != nil {
		t.Fatal(err)
	}
	emb, _, err := model.Compile(m, model.Options{RuntimeMs: 20000})
	if err != nil {
		t.Fatal(err)
	}
	orig, _, err := neurord.Compile(filepath.Join(testenv.Testdata(t), "models", "maki-marttunen-2020", "Model_rest.xml"), model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(emb.Species) != 204 || len(emb.Species) != len(orig.Species) {
		t.Fatalf("%d species, original %d", len(emb.Species), len(orig.Species))
	}
	for i := range emb.Species {
		if emb.Species[i] != orig.Species[i] {
			t.Errorf("species %d: %+v vs %+v", i, emb.Species[i], orig.Species[i])
		}
	}
	if len(emb.Channels) != len(orig.Channels) {
		t.Fatalf("%d channels, original %d", len(emb.Channels), len(orig.Channels))
	}
	for i := range emb.Channels {
		a, b := emb.Channels[i], orig.Channels[i]
		if a.ReactionID != b.ReactionID || a.Reverse != b.Reverse || a.RateConst != b.RateConst || a.Order != b.Order ||
			!slices.Equal(a.Reactants, b.Reactants) || !slices.Equal(a.Products, b.Products) || !slices.Equal(a.Changes, b.Changes) {
			t.Errorf("channel %d (%s) differs", i, a.ReactionID)
		}
	}
	if !slices.Equal(emb.Initial, orig.Initial) {
		t.Error("initial amounts differ")
	}
	if emb.NumVoxels() != 1 || emb.Mesh.Voxels[0].VolumeUm3 != orig.Mesh.Voxels[0].VolumeUm3 {
		t.Errorf("mesh: %d voxels", emb.NumVoxels())
	}
}

// TestAMPAGroupsMatchNameRules: on the bundled model, the AMPA package's
// explicit species lists equal the name rules of the original code.
func TestAMPAGroupsMatchNameRules(t *testing.T) {
	m, _, err := SpineModel()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range m.Species {
		ids = append(ids, s.ID)
	}
	r1, r1p, r2 := ampa.GroupNames()
	q1, q1p, q2 := ampa.RuleGroups(ids)
	for _, c := range [][2][]string{{r1, q1}, {r1p, q1p}, {r2, q2}} {
		a, b := slices.Clone(c[0]), slices.Clone(c[1])
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Errorf("list %v\nrules %v", a, b)
		}
	}
	if _, err := ampa.NewGroups(ids); err != nil {
		t.Error(err)
	}
}
