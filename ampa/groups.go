package ampa

import (
	"fmt"
	"strings"
)

// The species groups of the bundled Mäki-Marttunen model, as explicit
// lists (NEURON/calcconds.py; Measured_species of protocols_many.py). A
// model with other receptor species fails Groups loudly rather than
// silently changing the conductance.
var (
	groupR1p = []string{"GluR1_memb_S831", "GluR1_memb_S845_S831", "GluR1_memb_S831_PKAc", "GluR1_memb_S845_S831_PP1",
		"GluR1_memb_S831_PP1", "GluR1_memb_S845_S831_PP2B"}
	groupR1 = []string{"GluR1_memb", "GluR1_memb_S845", "GluR1_memb_S831", "GluR1_memb_S845_S831", "GluR1_memb_PKAc",
		"GluR1_memb_CKCam", "GluR1_memb_CKpCam", "GluR1_memb_CKp", "GluR1_memb_PKCt", "GluR1_memb_PKCp",
		"GluR1_memb_S845_CKCam", "GluR1_memb_S845_CKpCam", "GluR1_memb_S845_CKp", "GluR1_memb_S845_PKCt",
		"GluR1_memb_S845_PKCp", "GluR1_memb_S831_PKAc", "GluR1_memb_S845_PP1", "GluR1_memb_S845_S831_PP1",
		"GluR1_memb_S831_PP1", "GluR1_memb_S845_PP2B", "GluR1_memb_S845_S831_PP2B"}
	groupR2 = []string{"GluR2_memb", "GluR2_memb_PKCt", "GluR2_memb_PKCp", "GluR2_memb_S880", "GluR2_memb_S880_PP2A"}
)

// GroupNames returns copies of the explicit species lists of R1 (all
// membrane GluR1), R1p (membrane S831-phosphorylated GluR1) and R2 (all
// membrane GluR2).
func GroupNames() (r1, r1p, r2 []string) {
	return append([]string(nil), groupR1...), append([]string(nil), groupR1p...), append([]string(nil), groupR2...)
}

// RuleGroups applies the name rules of the source to a species list:
// R1 = names starting "GluR1_memb", R1p = those of R1 containing "S831",
// R2 = names starting "GluR2_memb".
func RuleGroups(species []string) (r1, r1p, r2 []string) {
	for _, s := range species {
		if strings.HasPrefix(s, "GluR1_memb") {
			r1 = append(r1, s)
			if strings.Contains(s, "S831") {
				r1p = append(r1p, s)
			}
		}
		if strings.HasPrefix(s, "GluR2_memb") {
			r2 = append(r2, s)
		}
	}
	return
}

// Groups maps the species of a model (ids in order) to the positions of
// the three groups. It fails when a listed species is missing, or when
// the model has receptor species that the name rules would count but the
// lists do not.
type Groups struct {
	R1, R1p, R2 []int
}

// NewGroups resolves the groups in a species list.
func NewGroups(species []string) (*Groups, error) {
	idx := make(map[string]int, len(species))
	for i, s := range species {
		idx[s] = i
	}
	g := &Groups{}
	var missing []string
	pick := func(names []string) []int {
		var out []int
		for _, n := range names {
			if i, ok := idx[n]; ok {
				out = append(out, i)
			} else {
				missing = append(missing, n)
			}
		}
		return out
	}
	g.R1, g.R1p, g.R2 = pick(groupR1), pick(groupR1p), pick(groupR2)
	if len(missing) > 0 {
		return nil, fmt.Errorf("the AMPA conductance needs the receptor species of the Mäki-Marttunen model; missing: %s", strings.Join(missing, ", "))
	}
	r1, r1p, r2 := RuleGroups(species)
	if len(r1) != len(groupR1) || len(r1p) != len(groupR1p) || len(r2) != len(groupR2) {
		return nil, fmt.Errorf("the model has membrane receptor species beyond the Mäki-Marttunen model's (%d GluR1_memb*, %d GluR2_memb* against %d and %d): the conductance would ignore them", len(r1), len(r2), len(groupR1), len(groupR2))
	}
	return g, nil
}

// Subunits sums the groups over counts indexed like the species list.
func (g *Groups) Subunits(x []float64) Subunits {
	sum := func(ix []int) float64 {
		s := 0.0
		for _, i := range ix {
			s += x[i]
		}
		return s
	}
	return Subunits{R1: sum(g.R1), R1p: sum(g.R1p), R2: sum(g.R2)}
}
