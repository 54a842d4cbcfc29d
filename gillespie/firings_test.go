package gillespie

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/model"
)

// twoRegions is longDendrite with its halves in regions "left" and
// "right" (A is injected at the end of the left half).
var twoRegions = strings.NewReplacer(`<Segment id="d1" region="dend">`, `<Segment id="d1" region="left">`,
	`<Segment id="d2" region="dend">`, `<Segment id="d2" region="right">`,
	"<rate>100</rate>", "<rate>2000</rate>", "<runtime>150</runtime>", "<runtime>40</runtime>",
	"<outputInterval>50</outputInterval>", "<outputInterval>10</outputInterval>").Replace(longDendrite)

// TestFiringsAccount: the firings Run counts by channel and region
// account for every molecule: for the methods that fire what they count
// (exact, adaptive, fixed, and adaptive in domains, whose exchanges are
// counted as crossings), the change of A and of C in each region from
// the first frame to the last equals what the counted injections,
// bindings (forward and reverse apart) and hops in and out of the region
// give. The multiscale method absorbs firings in partial equilibrium:
// there the counts must sum to its single events and leap firings. Every
// method's sums match Stats, and counting changes no output.
func TestFiringsAccount(t *testing.T) {
	cases := []firingsCase{
		{"exact", 0, 1, true},
		{"adaptive", 1, 1, true},
		{"adaptive", -1, 1, true},
		{"adaptive", -1, 2, true},
		{"fixed", 0, 2, true},
		{"multiscale", 1, 1, false},
		{"multiscale", 3, 2, false},
		{"multiscale", -1, 2, false},
	}
	var ref *Firings // adaptive, a domain per voxel, one worker
	for _, c := range cases {
		if raceDetector && c.workers == 1 && c.domains >= 0 {
			continue // one goroutine: nothing for the race detector (and 30 s of its time)
		}
		t.Run(fmt.Sprintf("%s/domains=%d/workers=%d", c.method, c.domains, c.workers), func(t *testing.T) { checkFirings(t, c, &ref) })
	}
}

// firingsCase is a case of TestFiringsAccount: a method, its domains (−1:
// one per voxel, so that the regions' border is a cut) and workers, and
// whether the counts must account for every molecule.
type firingsCase struct {
	method           string
	domains, workers int
	account          bool
}

// checkFirings runs one case of TestFiringsAccount; ref keeps the counts
// of the first run of the adaptive method in domains.
func checkFirings(t *testing.T, c firingsCase, ref **Firings) {
	opt := model.Options{Method: c.method, Tolerance: 0.01}
	if c.method == "fixed" {
		opt.FixedStepMs = 0.002
	}
	sys := compileXML(t, twoRegions, opt)
	if c.domains < 0 {
		c.domains = MaxDomains(sys)
	}
	plain := &hashSink{}
	if _, err := Run(context.Background(), sys, Options{Domains: c.domains, Workers: c.workers}, 11, plain); err != nil {
		t.Fatal(err)
	}
	f := &Firings{}
	var tallied []int64
	r := &recorder{}
	hs := &hashSink{}
	st, err := Run(context.Background(), sys, Options{Domains: c.domains, Workers: c.workers, Firings: f,
		Tally: func(_ float64, s Stats) { tallied = append(tallied, sum(f.Single), s.ExactEvents) }},
		11, teeSink{r, hs})
	if err != nil {
		t.Fatal(err)
	}
	name := c.method
	if c.domains > 1 {
		name += ", in domains"
		if st.Domains != c.domains {
			t.Fatalf("%s: %d domains, want %d", name, st.Domains, c.domains)
		}
	}
	if hs.h != plain.h {
		t.Errorf("%s: counting firings changed the output", name)
	}
	for k := 0; k < len(tallied); k += 2 {
		if tallied[k] != tallied[k+1] {
			t.Errorf("%s: at tally %d, %d single events counted by class, %d in Stats", name, k/2, tallied[k], tallied[k+1])
		}
	}
	if c.method != "fixed" {
		if got := sum(f.Single); got != st.ExactEvents || got == 0 {
			t.Errorf("%s: %d single events by class, %d in Stats", name, got, st.ExactEvents)
		}
	}
	if c.method == "adaptive" || c.method == "multiscale" {
		if got := sum(f.Leap); got != st.LeapFirings || (c.method == "adaptive" && got == 0) {
			t.Errorf("%s: %d leap firings by class, %d in Stats", name, got, st.LeapFirings)
		}
	}
	if crossed := sum(f.Crossed); (c.domains > 1) != (crossed > 0) {
		t.Errorf("%s: %d molecules crossed in exchanges", name, crossed)
	}
	if c.method == "adaptive" && c.domains > 1 {
		if *ref == nil {
			*ref = f
		} else if r := *ref; !slices.Equal(f.Single, r.Single) || !slices.Equal(f.Leap, r.Leap) || !slices.Equal(f.Crossed, r.Crossed) {
			t.Errorf("%s: the counts differ with %d workers", name, c.workers)
		}
	}
	if c.account {
		checkAccount(t, name, sys, f, r)
	}
}

// checkAccount compares each region's change of A and C with what the
// counted firings give.
func checkAccount(t *testing.T, name string, sys *model.System, f *Firings, r *recorder) {
	t.Helper()
	ns := len(sys.Species)
	idx := func(id string) int {
		return slices.IndexFunc(sys.Species, func(s model.SpeciesInfo) bool { return s.ID == id })
	}
	A, C := idx("A"), idx("C")
	got := map[string][2]int64{} // region → change of A, C
	first, last := r.frames[0], r.frames[len(r.frames)-1]
	for v := 0; v < sys.NumVoxels(); v++ {
		reg := sys.Mesh.Voxels[v].Region
		g := got[reg]
		g[0] += last[v*ns+A] - first[v*ns+A]
		g[1] += last[v*ns+C] - first[v*ns+C]
		got[reg] = g
	}
	want := map[string][2]int64{}
	add := func(reg string, a, c int64) {
		w := want[reg]
		w[0] += a
		w[1] += c
		want[reg] = w
	}
	kinds := map[string]bool{}
	for k, cl := range f.Classes {
		n := f.Single[k] + f.Leap[k] + f.Crossed[k]
		kinds[cl.Kind+" "+cl.Name] = true
		switch {
		case cl.Kind == "injection" && cl.Name == "A@mid":
			add(cl.Region, n, 0)
		case cl.Kind == "reaction" && cl.Name == "bind":
			add(cl.Region, -n, n)
		case cl.Kind == "reaction" && cl.Name == "bind (reverse)":
			add(cl.Region, n, -n)
		case cl.Kind == "diffusion" && cl.Name == "A":
			add(cl.Region, -n, 0)
			add(cl.ToRegion, n, 0)
			if cl.Region != cl.ToRegion && n == 0 {
				t.Errorf("%s: no A crossed from %s to %s", name, cl.Region, cl.ToRegion)
			}
		default:
			t.Errorf("%s: unexpected class %+v", name, cl)
		}
	}
	for _, k := range []string{"injection A@mid", "reaction bind", "reaction bind (reverse)", "diffusion A"} {
		if !kinds[k] {
			t.Errorf("%s: no class %s", name, k)
		}
	}
	if len(got) != 2 {
		t.Fatalf("%s: regions %v, want left and right", name, got)
	}
	for reg, g := range got {
		if want[reg] != g {
			t.Errorf("%s: region %s changed A, C by %v; the counted firings give %v", name, reg, g, want[reg])
		}
	}
}

func sum(xs []int64) (s int64) {
	for _, x := range xs {
		s += x
	}
	return s
}

// teeSink passes every frame to two sinks.
type teeSink [2]model.Sink

func (s teeSink) Counts(set int, t float64, c []int64) error {
	if err := s[0].Counts(set, t, c); err != nil {
		return err
	}
	return s[1].Counts(set, t, c)
}
