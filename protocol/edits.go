package protocol

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/spinerd/spinerd/model"
)

// Scale multiplies the t = 0 initial amount of one species, matched by
// its whole name ("Blocked" in the original scripts; repeated names
// multiply).
type Scale struct {
	Species string
	Factor  float64
}

// RateScale multiplies one direction of one <Reaction>, addressed by the
// element's position (0-based) because reaction ids repeat in the spine
// model ("Altered").
type RateScale struct {
	Reaction int
	Reverse  bool
	Factor   float64
}

// Edits are the changes a protocol or experiment makes to a model.
type Edits struct {
	Blocked []Scale
	Altered []RateScale
}

//go:embed data/ks.json
var ksJSON []byte

// KSIndex maps an index into the 413-entry rate-constant list ks[] of the
// NEURON scripts (ModelDB 260971) to the <Reaction> position and
// direction in the spine model's Reactions.xml.
func KSIndex(k int) (reaction int, reverse bool, err error) {
	var d struct {
		KS [][3]int `json:"ks"`
	}
	if err := json.Unmarshal(ksJSON, &d); err != nil {
		return 0, false, fmt.Errorf("embedded ks map: %w", err)
	}
	for _, e := range d.KS {
		if e[0] == k {
			return e[1], e[2] == 1, nil
		}
	}
	return 0, false, fmt.Errorf("ks index %d is outside the NEURON model's 0–%d", k, len(d.KS)-1)
}

// ParseBlock reads "CK=0,PP1=0.5".
func ParseBlock(s string) ([]Scale, error) {
	var out []Scale
	for _, kv := range strings.Split(s, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		k, f, ok := factorItem(kv)
		if !ok || k == "" {
			return nil, fmt.Errorf("bad initial-amount scaling %q (want SPECIES=FACTOR, factor ≥ 0)", kv)
		}
		for _, o := range out {
			if o.Species == k {
				return nil, fmt.Errorf("%s scaled twice in %q", k, s)
			}
		}
		out = append(out, Scale{k, f})
	}
	return out, nil
}

// factorItem reads one "KEY=FACTOR" item of a comma-separated list: the
// trimmed key and a finite factor ≥ 0.
func factorItem(kv string) (key string, factor float64, ok bool) {
	k, v, found := strings.Cut(kv, "=")
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if !found || err != nil || !(f >= 0) || math.IsInf(f, 0) {
		return "", 0, false
	}
	return strings.TrimSpace(k), f, true
}

// ParseAlter reads "REACTION=FACTOR" items, comma-separated, where
// REACTION is ksN (an index of the original NEURON scripts' ks[] list),
// #P or #P:reverse (the position of the <Reaction> element, 0-based), or
// a reaction id (forward unless followed by :reverse; the id must be
// unique in m).
func ParseAlter(s string, m *model.Model) ([]RateScale, error) {
	var out []RateScale
	for _, kv := range strings.Split(s, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		k, f, ok := factorItem(kv)
		if !ok {
			return nil, fmt.Errorf("bad rate scaling %q (want REACTION=FACTOR, factor ≥ 0)", kv)
		}
		rs := RateScale{Factor: f}
		switch {
		case strings.HasPrefix(k, "ks"):
			n, err := strconv.Atoi(k[2:])
			if err != nil {
				return nil, fmt.Errorf("bad rate scaling %q: %q is not a ks index", kv, k)
			}
			if rs.Reaction, rs.Reverse, err = KSIndex(n); err != nil {
				return nil, err
			}
		default:
			name, dir, _ := strings.Cut(k, ":")
			switch dir {
			case "", "forward":
			case "reverse":
				rs.Reverse = true
			default:
				return nil, fmt.Errorf("bad rate scaling %q: direction %q (use forward or reverse)", kv, dir)
			}
			if strings.HasPrefix(name, "#") {
				n, err := strconv.Atoi(name[1:])
				if err != nil || n < 0 || n >= len(m.Reactions) {
					return nil, fmt.Errorf("bad rate scaling %q: reaction position %q (0–%d)", kv, name, len(m.Reactions)-1)
				}
				rs.Reaction = n
			} else {
				pos := -1
				for i, r := range m.Reactions {
					if r.ID == name {
						if pos >= 0 {
							return nil, fmt.Errorf("rate scaling %q: reaction id %q names reactions #%d and #%d; address it as #N", kv, name, pos, i)
						}
						pos = i
					}
				}
				if pos < 0 {
					return nil, fmt.Errorf("rate scaling %q: no reaction %q", kv, name)
				}
				rs.Reaction = pos
			}
		}
		for _, o := range out {
			if o.Reaction == rs.Reaction && o.Reverse == rs.Reverse {
				return nil, fmt.Errorf("rate scaling %q: its reaction and direction are scaled twice in %q", kv, s)
			}
		}
		out = append(out, rs)
	}
	return out, nil
}

// Apply returns a copy of m with the protocol's stimuli (replacing any the
// model has), its run time, and the edits applied. m is not changed.
// unmatched lists Blocked names that match no initial amount of the model
// (the original scripts silently ignore them, e.g. "M1").
func Apply(m *model.Model, p *Protocol, e Edits) (out *model.Model, unmatched []string, err error) {
	c := *m
	c.Concentrations = make([]model.ConcentrationSet, len(m.Concentrations))
	for i, cs := range m.Concentrations {
		c.Concentrations[i] = cs
		c.Concentrations[i].Entries = append([]model.Concentration(nil), cs.Entries...)
	}
	c.Surfaces = make([]model.SurfaceDensitySet, len(m.Surfaces))
	for i, ss := range m.Surfaces {
		c.Surfaces[i] = ss
		c.Surfaces[i].Entries = append([]model.SurfaceDensity(nil), ss.Entries...)
	}
	c.Reactions = append([]model.Reaction(nil), m.Reactions...)
	for _, b := range e.Blocked {
		found := false
		for i := range c.Concentrations {
			for j := range c.Concentrations[i].Entries {
				if c.Concentrations[i].Entries[j].Species == b.Species {
					c.Concentrations[i].Entries[j].Value *= b.Factor
					found = true
				}
			}
		}
		for i := range c.Surfaces {
			for j := range c.Surfaces[i].Entries {
				if c.Surfaces[i].Entries[j].Species == b.Species {
					c.Surfaces[i].Entries[j].PicoSD *= b.Factor
					found = true
				}
			}
		}
		if !found {
			unmatched = append(unmatched, b.Species)
		}
	}
	for _, a := range e.Altered {
		if a.Reaction < 0 || a.Reaction >= len(c.Reactions) {
			return nil, nil, fmt.Errorf("altered reaction #%d: the model has %d reactions", a.Reaction, len(c.Reactions))
		}
		r := &c.Reactions[a.Reaction]
		if a.Reverse {
			r.ReverseRate *= a.Factor
		} else {
			r.ForwardRate *= a.Factor
		}
	}
	if p != nil {
		inj, err := p.Injections()
		if err != nil {
			return nil, nil, err
		}
		c.Stimuli = inj
		c.Settings.RuntimeMs, c.Settings.HasRuntime = p.RuntimeMs, true
		c.Settings.HasEnd = false
	}
	return &c, unmatched, nil
}
