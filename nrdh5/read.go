package nrdh5

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/spinerd/spinerd/h5"
)

// Run is what a NeuroRD HDF5 file holds, as plain data. Indices are
// 0-based.
type Run struct {
	// Species are the model's species ids (model/species).
	Species []string
	// Regions are the region names (model/regions).
	Regions []string
	// Grid are the voxels (model/grid).
	Grid []Voxel
	// SerializedConfig is the model file text NeuroRD stored (empty if
	// the file has none).
	SerializedConfig string
	// Manifest holds the attributes of /manifest.
	Manifest map[string]string
	// Statistics are the descriptions of the event statistics rows.
	Statistics []string
	// Trials are the file's trial<N> groups, by increasing N.
	Trials []Trial
}

// Trial is one trial<N> group.
type Trial struct {
	// Index is N.
	Index int
	// Seed is the simulation_seed attribute (HasSeed false if absent).
	Seed    int64
	HasSeed bool
	// Sets are the output sets in model/output order ("__main__" first).
	Sets []Set
	// EventStatistics is the first row of trial<N>/output/event_statistics
	// (firings and molecules per statistics row), nil if absent.
	EventStatistics [][2]int64
}

// Set is one output set of a trial. TimesMs and the frame count are
// always loaded; Counts or Values only by Read or Reader.Load.
type Set struct {
	Name string
	// Species are the set's species ids; Elements its voxel indices.
	Species  []string
	Elements []int
	// TimesMs are the snapshot times (ms).
	TimesMs []float64
	// Reals is true when population holds floats (deterministic runs).
	Reals bool
	// Counts (int32 files) or Values (float files) hold
	// population[frame][element][species], row-major.
	Counts []int32
	Values []float64
}

// Frames returns the number of snapshots.
func (s *Set) Frames() int { return len(s.TimesMs) }

// At returns the value of species j (index in Species) in element k
// (index in Elements) at frame f.
func (s *Set) At(f, k, j int) float64 {
	i := (f*len(s.Elements)+k)*len(s.Species) + j
	if s.Reals {
		return s.Values[i]
	}
	return float64(s.Counts[i])
}

// Reader is an open NeuroRD HDF5 file: the model and the trials' times
// are read at Open, populations on demand.
type Reader struct {
	Run
	path string
	f    *h5.File
	// pop[trial][set] is the population dataset (nil if missing).
	pop [][]*h5.Dataset
}

// Read reads the whole file, populations included.
func Read(path string) (*Run, error) {
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	for t := range r.Trials {
		for s := range r.Trials[t].Sets {
			if err := r.Load(t, s); err != nil {
				return nil, err
			}
		}
	}
	run := r.Run
	return &run, nil
}

// Open opens a NeuroRD HDF5 file and reads everything but populations.
func Open(path string) (*Reader, error) {
	f, err := h5.Open(path)
	if err != nil {
		return nil, err
	}
	return open(f, path)
}

// NewReader reads a NeuroRD HDF5 file of size bytes from ra; name is used
// in messages.
func NewReader(ra io.ReaderAt, size int64, name string) (*Reader, error) {
	f, err := h5.NewReader(ra, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return open(f, name)
}

func open(f *h5.File, path string) (*Reader, error) {
	r := &Reader{path: path, f: f}
	if err := r.open(); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Close closes the file.
func (r *Reader) Close() error { return r.f.Close() }

// outputSet is model/output/<name>.
type outputSet struct {
	name     string
	species  []string
	elements []int
}

func (r *Reader) open() error {
	root, err := r.f.Root()
	if err != nil {
		return err
	}
	model, err := root.Group("model")
	if err != nil {
		return errors.New("no /model group: not a NeuroRD HDF5 file")
	}
	if r.Species, err = readStrings(model, "species"); err != nil {
		return err
	}
	if model.Has("regions") {
		if r.Regions, err = readStrings(model, "regions"); err != nil {
			return err
		}
	}
	if err := r.readGrid(model); err != nil {
		return err
	}
	if model.Has("serialized_config") {
		cfg, err := readStrings(model, "serialized_config")
		if err != nil {
			return err
		}
		r.SerializedConfig = strings.Join(cfg, "")
	}
	if model.Has("event_statistics") {
		if r.Statistics, err = readStrings(model, "event_statistics"); err != nil {
			return err
		}
	}
	r.Manifest = map[string]string{}
	if root.IsGroup("manifest") {
		man, err := root.Group("manifest")
		if err != nil {
			return err
		}
		as, err := man.Attrs()
		if err != nil {
			return err
		}
		for _, a := range as {
			if s, err := a.String(); err == nil {
				r.Manifest[a.Name] = s
			}
		}
	}
	sets, err := r.outputSets(model)
	if err != nil {
		return err
	}
	names, err := root.Names()
	if err != nil {
		return err
	}
	for _, n := range names {
		idx, ok := trialIndex(n)
		if !ok || !root.IsGroup(n) {
			continue
		}
		g, err := root.Group(n)
		if err != nil {
			return err
		}
		t, pops, err := r.readTrial(g, idx, sets)
		if err != nil {
			return err
		}
		r.Trials = append(r.Trials, t)
		r.pop = append(r.pop, pops)
	}
	order := make([]int, len(r.Trials))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return r.Trials[order[a]].Index < r.Trials[order[b]].Index })
	trials := make([]Trial, len(order))
	pops := make([][]*h5.Dataset, len(order))
	for i, k := range order {
		trials[i], pops[i] = r.Trials[k], r.pop[k]
	}
	r.Trials, r.pop = trials, pops
	return nil
}

// trialIndex parses "trial<N>".
func trialIndex(name string) (int, bool) {
	s, ok := strings.CutPrefix(name, "trial")
	if !ok || s == "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0 && strconv.Itoa(n) == s
}

func readStrings(g *h5.Group, name string) ([]string, error) {
	d, err := g.Dataset(name)
	if err != nil {
		return nil, err
	}
	return d.ReadStrings()
}

func readInts(g *h5.Group, name string) ([]int, error) {
	d, err := g.Dataset(name)
	if err != nil {
		return nil, err
	}
	v, err := d.ReadInt64s()
	if err != nil {
		return nil, err
	}
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out, nil
}

func (r *Reader) readGrid(model *h5.Group) error {
	d, err := model.Dataset("grid")
	if err != nil {
		return err
	}
	raw, err := d.ReadRaw()
	if err != nil {
		return err
	}
	t := &d.Type
	if t.Class != h5.ClassCompound || len(d.Shape) != 1 {
		return fmt.Errorf("%s: not a table of voxels (%s, shape %v)", d.Path(), t, d.Shape)
	}
	n := int(d.Shape[0])
	r.Grid = make([]Voxel, n)
	floats := func(name string, set func(v *Voxel, x float64)) error {
		col, mt, err := t.Column(raw, name)
		if err != nil {
			return fmt.Errorf("%s: %w", d.Path(), err)
		}
		for i, b := range col {
			x, err := mt.FloatAt(b)
			if err != nil {
				return fmt.Errorf("%s field %s: %w", d.Path(), name, err)
			}
			set(&r.Grid[i], x)
		}
		return nil
	}
	for c := 0; c < 4; c++ {
		for a, axis := range []string{"x", "y", "z"} {
			if err := floats(axis+strconv.Itoa(c), func(v *Voxel, x float64) { v.Corners[c][a] = x }); err != nil {
				return err
			}
		}
	}
	if err := floats("volume", func(v *Voxel, x float64) { v.VolumeUm3 = x }); err != nil {
		return err
	}
	if err := floats("deltaZ", func(v *Voxel, x float64) { v.DeltaZUm = x }); err != nil {
		return err
	}
	strs := func(name string, set func(v *Voxel, s string)) error {
		col, mt, err := t.Column(raw, name)
		if err != nil {
			return nil // optional field (older NeuroRD versions lack some)
		}
		if mt.Class != h5.ClassString {
			return fmt.Errorf("%s field %s is %s, not a string", d.Path(), name, mt)
		}
		for i, b := range col {
			set(&r.Grid[i], mt.DecodeString(b))
		}
		return nil
	}
	for _, f := range []struct {
		name string
		set  func(v *Voxel, s string)
	}{
		{"label", func(v *Voxel, s string) { v.Label = s }},
		{"region_name", func(v *Voxel, s string) { v.RegionName = s }},
		{"type", func(v *Voxel, s string) { v.Type = s }},
		{"group", func(v *Voxel, s string) { v.Group = s }},
	} {
		if err := strs(f.name, f.set); err != nil {
			return err
		}
	}
	if col, mt, err := t.Column(raw, "region"); err == nil {
		for i, b := range col {
			x, err := mt.IntAt(b)
			if err != nil || x < math.MinInt32 || x > math.MaxInt32 {
				return fmt.Errorf("%s field region: bad value", d.Path())
			}
			r.Grid[i].Region = int32(x)
			if r.Grid[i].RegionName == "" && x >= 0 && int(x) < len(r.Regions) {
				r.Grid[i].RegionName = r.Regions[x]
			}
		}
	}
	return nil
}

// outputSets reads model/output; files without it have one main set of
// every species in every voxel.
func (r *Reader) outputSets(model *h5.Group) ([]outputSet, error) {
	if !model.IsGroup("output") {
		all := make([]int, len(r.Grid))
		for i := range all {
			all[i] = i
		}
		return []outputSet{{name: "__main__", species: r.Species, elements: all}}, nil
	}
	og, err := model.Group("output")
	if err != nil {
		return nil, err
	}
	names, err := og.Names()
	if err != nil {
		return nil, err
	}
	// "__main__" first, then the others in name order
	sort.SliceStable(names, func(a, b int) bool { return names[a] == "__main__" && names[b] != "__main__" })
	var out []outputSet
	for _, n := range names {
		if !og.IsGroup(n) {
			continue
		}
		sg, err := og.Group(n)
		if err != nil {
			return nil, err
		}
		s := outputSet{name: n}
		if s.species, err = readStrings(sg, "species"); err != nil {
			return nil, err
		}
		if s.elements, err = readInts(sg, "elements"); err != nil {
			return nil, err
		}
		for _, e := range s.elements {
			if e < 0 || e >= len(r.Grid) {
				return nil, fmt.Errorf("%s: element %d out of range (%d voxels)", sg.Path(), e, len(r.Grid))
			}
		}
		out = append(out, s)
	}
	return out, nil
}

func (r *Reader) readTrial(g *h5.Group, idx int, sets []outputSet) (Trial, []*h5.Dataset, error) {
	t := Trial{Index: idx}
	if a, err := g.Attr("simulation_seed"); err == nil {
		if t.Seed, err = a.Int64(); err != nil {
			return t, nil, fmt.Errorf("%s: simulation_seed: %w", g.Path(), err)
		}
		t.HasSeed = true
	}
	var out *h5.Group
	if g.IsGroup("output") {
		var err error
		if out, err = g.Group("output"); err != nil {
			return t, nil, err
		}
	}
	var pops []*h5.Dataset
	for _, os := range sets {
		s := Set{Name: os.name, Species: os.species, Elements: os.elements}
		var pop *h5.Dataset
		if out != nil && out.IsGroup(os.name) {
			sg, err := out.Group(os.name)
			if err != nil {
				return t, nil, err
			}
			if pop, err = sg.Dataset("population"); err != nil {
				return t, nil, err
			}
			want := []uint64{uint64(len(s.Elements)), uint64(len(s.Species))}
			if len(pop.Shape) != 3 || pop.Shape[1] != want[0] || pop.Shape[2] != want[1] {
				return t, nil, fmt.Errorf("%s: shape %v, want [frames %d %d]", pop.Path(), pop.Shape, want[0], want[1])
			}
			switch pop.Type.Class {
			case h5.ClassInt:
			case h5.ClassFloat:
				s.Reals = true
			default:
				return t, nil, fmt.Errorf("%s: %s is not a number type", pop.Path(), pop.Type)
			}
			td, err := sg.Dataset("times")
			if err != nil {
				return t, nil, err
			}
			if s.TimesMs, err = td.ReadFloat64s(); err != nil {
				return t, nil, err
			}
			if uint64(len(s.TimesMs)) != pop.Shape[0] {
				return t, nil, fmt.Errorf("%s: %d times for %d frames", sg.Path(), len(s.TimesMs), pop.Shape[0])
			}
		}
		t.Sets = append(t.Sets, s)
		pops = append(pops, pop)
	}
	if out != nil && out.Has("event_statistics") {
		d, err := out.Dataset("event_statistics")
		if err == nil && len(d.Shape) == 3 && d.Shape[0] > 0 && d.Shape[2] == 2 {
			raw, err := d.ReadRows(0, 1)
			if err != nil {
				return t, nil, err
			}
			v, err := d.Type.Int64s(raw, d.Path())
			if err != nil {
				return t, nil, err
			}
			for k := 0; k+1 < len(v); k += 2 {
				t.EventStatistics = append(t.EventStatistics, [2]int64{v[k], v[k+1]})
			}
		}
	}
	return t, pops, nil
}

// Load reads the population of set s of trial t (positions in Trials and
// Sets) into Counts or Values.
func (r *Reader) Load(t, s int) error {
	set, pop, err := r.setAt(t, s)
	if err != nil || pop == nil {
		return err
	}
	raw, err := pop.ReadRaw()
	if err != nil {
		return fmt.Errorf("%s: %w", r.path, err)
	}
	return decodePopulation(set, pop, raw, &set.Counts, &set.Values)
}

// Frame returns snapshot f of set s of trial t: counts (int32 files) or
// values (float files), [element][species] row-major.
func (r *Reader) Frame(t, s, f int) (counts []int32, values []float64, err error) {
	set, pop, err := r.setAt(t, s)
	if err != nil {
		return nil, nil, err
	}
	if pop == nil || f < 0 || f >= set.Frames() {
		return nil, nil, fmt.Errorf("%s: trial %d set %s has no frame %d (%d frames)", r.path, r.Trials[t].Index, set.Name, f, set.Frames())
	}
	raw, err := pop.ReadRows(uint64(f), 1)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", r.path, err)
	}
	err = decodePopulation(set, pop, raw, &counts, &values)
	return counts, values, err
}

func (r *Reader) setAt(t, s int) (*Set, *h5.Dataset, error) {
	if t < 0 || t >= len(r.Trials) || s < 0 || s >= len(r.Trials[t].Sets) {
		return nil, nil, fmt.Errorf("%s: no trial %d set %d", r.path, t, s)
	}
	return &r.Trials[t].Sets[s], r.pop[t][s], nil
}

func decodePopulation(set *Set, pop *h5.Dataset, raw []byte, counts *[]int32, values *[]float64) error {
	if set.Reals {
		v, err := pop.Type.Float64s(raw, pop.Path())
		*values = v
		return err
	}
	v, err := pop.Type.Int64s(raw, pop.Path())
	if err != nil {
		return err
	}
	c := make([]int32, len(v))
	for i, x := range v {
		if x < math.MinInt32 || x > math.MaxInt32 {
			return fmt.Errorf("%s: count %d out of the int32 range", pop.Path(), x)
		}
		c[i] = int32(x)
	}
	*counts = c
	return nil
}

// FrameNear returns the frame whose time is nearest to timeMs, if it is
// within tolMs of it (NeuroRD's times carry accumulated rounding, e.g.
// 199.99999999996308 for 200).
func (s *Set) FrameNear(timeMs, tolMs float64) (int, bool) {
	best, bd := -1, math.Inf(1)
	for i, t := range s.TimesMs {
		if d := math.Abs(t - timeMs); d < bd {
			best, bd = i, d
		}
	}
	return best, best >= 0 && bd <= tolMs
}

// TrialByIndex returns the position in Trials of trial<N>.
func (r *Run) TrialByIndex(n int) (int, bool) {
	for i := range r.Trials {
		if r.Trials[i].Index == n {
			return i, true
		}
	}
	return 0, false
}

// SetByName returns the position of the named set in a trial's Sets.
func (t *Trial) SetByName(name string) (int, bool) {
	for i := range t.Sets {
		if t.Sets[i].Name == name {
			return i, true
		}
	}
	return 0, false
}
