package gillespie

import "fmt"

// Firings counts how often each channel fired, by region: what a run
// spends its events on. Options.Firings asks Run to fill one; Run sets
// Classes when it starts and the counts before each call of
// Options.Tally and when it returns, as totals since the start. Counting
// costs an extra table of one int32 per channel instance and a few
// nanoseconds an event; a run without it counts nothing.
type Firings struct {
	Classes []FiringClass
	// Single counts each class's single events (fired one by one); Leap
	// the firings carried by τ-leaps and by the fixed method's steps
	// (diffusion included); Crossed the molecules a run in domains
	// moved across its cuts in boundary exchanges (diffusion only).
	// The firings the multiscale method absorbs in partial equilibrium
	// are none of these (Stats.Subsystems has them).
	Single, Leap, Crossed []int64

	class []int32 // class of each channel instance
}

// FiringClass is a channel of the model in one region, or a diffusing
// species between two regions.
type FiringClass struct {
	Kind string // "reaction", "diffusion" or "injection"
	// Name is the reaction's id (its reverse direction " (reverse)"),
	// the diffusing species' id, or the injected species' id and the
	// stimulus site ("Ca@sa1[0]").
	Name string
	// Region is the region of the voxel the channel fires in (diffusion:
	// the voxel the molecule leaves); ToRegion the region it enters
	// (diffusion only, "" otherwise).
	Region, ToRegion string
}

// classify gives every instance of n its class.
func (f *Firings) classify(n *net) {
	sys := n.sys
	region := func(v int32) string {
		if sys.Mesh == nil || int(v) >= len(sys.Mesh.Voxels) {
			return ""
		}
		return sys.Mesh.Voxels[v].Region
	}
	index := map[FiringClass]int32{}
	f.Classes = f.Classes[:0]
	f.class = make([]int32, len(n.kind))
	for i := range n.kind {
		var c FiringClass
		v := n.vox[i]
		switch n.kind[i] {
		case kindReaction:
			ch := &sys.Channels[n.src[i]]
			c = FiringClass{Kind: "reaction", Name: ch.ReactionID, Region: region(v)}
			if ch.Reverse {
				c.Name += " (reverse)"
			}
		case kindHop:
			hp := &sys.Hops[n.src[i]]
			c = FiringClass{Kind: "diffusion", Name: sys.Species[hp.Species].ID, Region: region(v), ToRegion: region(int32(hp.To))}
		default:
			st := &sys.Stimuli[n.src[i]]
			name := sys.Species[st.Species].ID
			if st.Site != "" {
				name = fmt.Sprintf("%s@%s", name, st.Site)
			}
			c = FiringClass{Kind: "injection", Name: name, Region: region(v)}
		}
		f.class[i] = intern(index, &f.Classes, c)
	}
	nc := len(f.Classes)
	f.Single, f.Leap, f.Crossed = make([]int64, nc), make([]int64, nc), make([]int64, nc)
}

// gather sets the counts to the sum of the engine's counters.
func (f *Firings) gather(cs []*firingCount) {
	clear(f.Single)
	clear(f.Leap)
	clear(f.Crossed)
	for _, c := range cs {
		if c.class == nil {
			continue
		}
		for k := range f.Single {
			f.Single[k] += c.single[k]
			f.Leap[k] += c.leap[k]
			f.Crossed[k] += c.crossed[k]
		}
	}
}

// firingCount is one engine's (or one worker's) counters of Firings:
// nothing is counted while class is nil.
type firingCount struct {
	class                 []int32 // Firings.class, shared, read only
	single, leap, crossed []int64 // per class
}

func (c *firingCount) start(f *Firings) {
	c.class = f.class
	nc := len(f.Classes)
	c.single, c.leap, c.crossed = make([]int64, nc), make([]int64, nc), make([]int64, nc)
}

// one counts a single event of instance i.
func (c *firingCount) one(i int32) {
	if c.class != nil {
		c.single[c.class[i]]++
	}
}

// many counts k firings of instance i carried by a leap or a step.
func (c *firingCount) many(i int32, k int64) {
	if c.class != nil && k != 0 {
		c.leap[c.class[i]] += k
	}
}

// cross counts k molecules that boundary hop i moved in an exchange.
func (c *firingCount) cross(i int32, k int64) {
	if c.class != nil && k != 0 {
		c.crossed[c.class[i]] += k
	}
}

// counter is an engine that counts its firings when asked.
type counter interface {
	// firingCounts returns the engine's counters (a run in domains: its
	// domains'; the fixed method: its workers').
	firingCounts() []*firingCount
}
