package nrdh5

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"

	"github.com/spinerd/spinerd/h5"
)

// pipeline is NeuroRD's filter pipeline (compression level 1).
var pipeline = h5.Pipeline{Shuffle: true, Deflate: true, Level: 1}

// Writer writes one NeuroRD HDF5 file: the model at Create, then trials.
// It is not safe for concurrent use; trials are written one at a time.
type Writer struct {
	h      *h5.Writer
	path   string
	d      *Description
	trial  *TrialWriter
	trials map[int]bool
}

// Create starts the file at path (written under a temporary name until
// Close) and writes /manifest and /model from d.
func Create(path string, d *Description) (*Writer, error) {
	if err := d.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	h, err := h5.Create(path)
	if err != nil {
		return nil, err
	}
	w := &Writer{h: h, path: path, d: d, trials: map[int]bool{}}
	if err := w.writeModel(); err != nil {
		h.Abort()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

func (d *Description) validate() error {
	nsp, nel := len(d.Species), len(d.Grid)
	if nsp == 0 || nel == 0 {
		return fmt.Errorf("the model has %d species and %d voxels", nsp, nel)
	}
	if len(d.Neighbors) != nel || len(d.Couplings) != nel {
		return fmt.Errorf("neighbours of %d and couplings of %d voxels for %d voxels", len(d.Neighbors), len(d.Couplings), nel)
	}
	for v := range d.Neighbors {
		if len(d.Neighbors[v]) != len(d.Couplings[v]) {
			return fmt.Errorf("voxel %d: %d neighbours but %d couplings", v, len(d.Neighbors[v]), len(d.Couplings[v]))
		}
	}
	if len(d.Outputs) == 0 || d.Outputs[0].Name != "__main__" {
		return fmt.Errorf("the first output set must be __main__")
	}
	seen := map[string]bool{}
	for _, o := range d.Outputs {
		if seen[o.Name] || o.Name == "" || o.Name == "event_statistics" {
			return fmt.Errorf("output set name %q is empty, reserved or repeated", o.Name)
		}
		seen[o.Name] = true
		for _, s := range o.Species {
			if s < 0 || s >= nsp {
				return fmt.Errorf("output set %s: species index %d out of range", o.Name, s)
			}
		}
		for _, e := range o.Elements {
			if e < 0 || e >= nel {
				return fmt.Errorf("output set %s: voxel %d out of range", o.Name, e)
			}
		}
	}
	if len(d.Statistics) > 0 && len(d.Events) == 0 {
		return fmt.Errorf("statistics rows without events")
	}
	return nil
}

// stringWidth is NeuroRD's width of a string dataset: 4 bytes per
// UTF-16 unit of the longest string, plus one.
func stringWidth(vals []string) int {
	n := 0
	for _, s := range vals {
		n = max(n, len(utf16.Encode([]rune(s))))
	}
	return max(4*n, 1) + 1
}

type meta struct{ title, layout, units string }

func setMeta(d *h5.WDataset, m meta) error {
	if err := d.SetString("TITLE", m.title); err != nil {
		return err
	}
	if err := d.SetString("LAYOUT", m.layout); err != nil {
		return err
	}
	if m.units != "" {
		return d.SetString("UNITS", m.units)
	}
	return nil
}

func writeStrings(g *h5.WGroup, name string, vals []string, m meta) error {
	t := h5.String(stringWidth(vals), h5.UTF8, h5.NullTerm)
	raw := make([]byte, len(vals)*t.Size)
	for i, s := range vals {
		t.EncodeString(raw[i*t.Size:(i+1)*t.Size], s)
	}
	d, err := g.CreateDataset(name, t, []uint64{uint64(len(vals))}, raw)
	if err != nil {
		return err
	}
	return setMeta(d, m)
}

func int32Bytes(vals []int) ([]byte, error) {
	b := make([]byte, 0, 4*len(vals))
	for _, v := range vals {
		if v < math.MinInt32 || v > math.MaxInt32 {
			return nil, fmt.Errorf("value %d does not fit an int32", v)
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(int32(v)))
	}
	return b, nil
}

func writeInts(g *h5.WGroup, name string, vals []int, m meta) error {
	raw, err := int32Bytes(vals)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	d, err := g.CreateDataset(name, h5.Int(4, true), []uint64{uint64(len(vals))}, raw)
	if err != nil {
		return err
	}
	return setMeta(d, m)
}

// writeIntTable writes rows padded with fill to the longest row.
func writeIntTable(g *h5.WGroup, name string, rows [][]int, fill int, m meta) error {
	width := 0
	for _, r := range rows {
		width = max(width, len(r))
	}
	flat := make([]int, 0, len(rows)*width)
	for _, r := range rows {
		flat = append(flat, r...)
		for k := len(r); k < width; k++ {
			flat = append(flat, fill)
		}
	}
	raw, err := int32Bytes(flat)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	d, err := g.CreateDataset(name, h5.Int(4, true), []uint64{uint64(len(rows)), uint64(width)}, raw)
	if err != nil {
		return err
	}
	return setMeta(d, m)
}

func f64Bytes(b []byte, vals ...float64) []byte {
	for _, v := range vals {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

func (w *Writer) writeModel() error {
	d := w.d
	root := w.h.Root()
	man, err := root.CreateGroup("manifest")
	if err != nil {
		return err
	}
	for _, kv := range d.Manifest {
		if err := man.SetString(kv.Key, kv.Value); err != nil {
			return err
		}
	}
	g, err := root.CreateGroup("model")
	if err != nil {
		return err
	}
	if err := g.SetString("TITLE", "model parameters"); err != nil {
		return err
	}
	if err := w.writeGrid(g); err != nil {
		return err
	}
	// neighbours and couplings
	if err := writeIntTable(g, "neighbors", d.Neighbors, -1, meta{"adjacency mapping between voxels", "[nel × neighbors*]", "indices"}); err != nil {
		return err
	}
	width := 0
	for _, c := range d.Couplings {
		width = max(width, len(c))
	}
	var cb []byte
	for _, c := range d.Couplings {
		cb = f64Bytes(cb, c...)
		for k := len(c); k < width; k++ {
			cb = f64Bytes(cb, 0)
		}
	}
	ds, err := g.CreateDataset("couplings", h5.Float64(), []uint64{uint64(len(d.Couplings)), uint64(width)}, cb)
	if err != nil {
		return err
	}
	if err := setMeta(ds, meta{"coupling rate between voxels", "[nel × neighbors*]", "nm^2 / nm ?"}); err != nil {
		return err
	}
	if err := writeStrings(g, "species", d.Species, meta{"names of all species", "[nspecies]", "text"}); err != nil {
		return err
	}
	if err := writeStrings(g, "regions", d.Regions, meta{"names of regions", "[nregions]", "text"}); err != nil {
		return err
	}
	if err := w.writeStimulation(g); err != nil {
		return err
	}
	if err := w.writeReactions(g); err != nil {
		return err
	}
	if err := w.writeEvents(g); err != nil {
		return err
	}
	out, err := g.CreateGroup("output")
	if err != nil {
		return err
	}
	if err := out.SetString("TITLE", "output species"); err != nil {
		return err
	}
	for _, o := range d.Outputs {
		sg, err := out.CreateGroup(o.Name)
		if err != nil {
			return err
		}
		names := make([]string, len(o.Species))
		for i, s := range o.Species {
			names[i] = d.Species[s]
		}
		if err := writeStrings(sg, "species", names, meta{"names of output species", "[nspecies]", "text"}); err != nil {
			return err
		}
		if err := writeInts(sg, "elements", o.Elements, meta{"indices of output elements", "[nelements]", "indices"}); err != nil {
			return err
		}
	}
	return writeStrings(g, "serialized_config", []string{d.SerializedConfig}, meta{"serialized config", "XML", ""})
}

// GridType is model/grid's compound type, its 19 fields in NeuroRD's
// order.
func GridType() h5.Datatype {
	f64 := h5.Float64()
	s100 := h5.String(100, h5.ASCII, h5.NullTerm)
	var fs []h5.Field
	for _, n := range []string{"x0", "y0", "z0", "x1", "y1", "z1", "x2", "y2", "z2", "x3", "y3", "z3", "volume", "deltaZ"} {
		fs = append(fs, h5.Field{Name: n, Type: f64})
	}
	fs = append(fs, h5.Field{Name: "label", Type: s100}, h5.Field{Name: "region_name", Type: s100},
		h5.Field{Name: "region", Type: h5.Int(4, true)}, h5.Field{Name: "type", Type: s100}, h5.Field{Name: "group", Type: s100})
	return h5.Compound(fs...)
}

func (w *Writer) writeGrid(g *h5.WGroup) error {
	t := GridType()
	raw := make([]byte, len(w.d.Grid)*t.Size)
	for i, v := range w.d.Grid {
		r := raw[i*t.Size : (i+1)*t.Size]
		var vals []float64
		for _, c := range v.Corners {
			vals = append(vals, c[0], c[1], c[2])
		}
		vals = append(vals, v.VolumeUm3, v.DeltaZUm)
		f64Bytes(r[:0], vals...)
		for _, f := range []struct {
			name, val string
		}{{"label", v.Label}, {"region_name", v.RegionName}, {"type", v.Type}, {"group", v.Group}} {
			m, _ := t.Member(f.name)
			m.Type.EncodeString(r[m.Offset:m.Offset+m.Type.Size], f.val)
		}
		m, _ := t.Member("region")
		binary.LittleEndian.PutUint32(r[m.Offset:], uint32(v.Region))
	}
	n := uint64(len(w.d.Grid))
	ds, err := g.CreateChunked("grid", t, []uint64{n}, raw, n, pipeline)
	if err != nil {
		return err
	}
	if err := ds.SetString("TITLE", "voxels"); err != nil {
		return err
	}
	return ds.SetString("LAYOUT", "[nel × {x,y,z, x,y,z, x,y,z, x,y,z, volume, deltaZ, label, region#, type, group}]")
}

func (w *Writer) writeStimulation(g *h5.WGroup) error {
	sg, err := g.CreateGroup("stimulation")
	if err != nil {
		return err
	}
	if err := sg.SetString("TITLE", "stimulation parameters"); err != nil {
		return err
	}
	st := w.d.Stimulations
	if len(st) == 0 {
		return nil // NeuroRD leaves the group empty
	}
	names := make([]string, len(st))
	targets := make([][]int, len(st))
	for i, s := range st {
		names[i], targets[i] = s.Target, s.Voxels
	}
	if err := writeStrings(sg, "target_names", names, meta{"names of stimulation targets", "[nstimulations]", "text"}); err != nil {
		return err
	}
	return writeIntTable(sg, "targets", targets, -1, meta{"stimulated voxels", "[??? × ???]", "indices"})
}

func (w *Writer) writeReactions(g *h5.WGroup) error {
	rg, err := g.CreateGroup("reactions")
	if err != nil {
		return err
	}
	if err := rg.SetString("TITLE", "reaction scheme"); err != nil {
		return err
	}
	rs := w.d.Reactions
	var reac, rst, prod, pst [][]int
	rates := make([]byte, 0, 8*len(rs))
	pairs := make([]int, len(rs))
	for i, r := range rs {
		reac = append(reac, r.Reactants)
		rst = append(rst, r.ReactantStoichiometry)
		prod = append(prod, r.Products)
		pst = append(pst, r.ProductStoichiometry)
		rates = f64Bytes(rates, r.Rate)
		pairs[i] = r.Reverse
	}
	for _, t := range []struct {
		name string
		rows [][]int
		m    meta
	}{
		{"reactants", reac, meta{"reactant indices", "[nreact × nreactants*]", "indices"}},
		{"products", prod, meta{"product indices", "[nreact × nproducts*]", "indices"}},
		{"reactant_stoichiometry", rst, meta{"reactant stoichiometry", "[nreact × nreactants*]", "indices"}},
		{"product_stoichiometry", pst, meta{"product stoichiometry", "[nreact × nproducts*]", "indices"}},
	} {
		if err := writeIntTable(rg, t.name, t.rows, -1, t.m); err != nil {
			return err
		}
	}
	ds, err := rg.CreateDataset("rates", h5.Float64(), []uint64{uint64(len(rs))}, rates)
	if err != nil {
		return err
	}
	if err := setMeta(ds, meta{"reaction rates", "[nreact]", "transitions/ms"}); err != nil {
		return err
	}
	return writeInts(rg, "reversible_pairs", pairs, meta{"indices of reverse reaction", "[nreact]", "indices"})
}

func (w *Writer) writeEvents(g *h5.WGroup) error {
	ev := w.d.Events
	if ev == nil {
		return nil
	}
	eg, err := g.CreateGroup("events")
	if err != nil {
		return err
	}
	if err := eg.SetString("TITLE", "description of all event types"); err != nil {
		return err
	}
	desc := make([]string, len(ev))
	types := make([]int, len(ev))
	elems := make([][]int, len(ev))
	subs := make([][]int, len(ev))
	stoich := make([][]int, len(ev))
	for i, e := range ev {
		desc[i], types[i] = e.Description, int(e.Type)
		elems[i] = []int{e.Source, e.Target}
		subs[i], stoich[i] = e.Substrates, e.Stoichiometry
	}
	if err := writeStrings(eg, "descriptions", desc, meta{"signatures of reaction channels", "[nchannel]", "text"}); err != nil {
		return err
	}
	if err := writeIntTable(eg, "elements", elems, -1, meta{"voxel numbers of reaction channels", "[nchannel x {source,target}]", "index"}); err != nil {
		return err
	}
	if err := writeInts(eg, "types", types, meta{"types of reaction channels", "[nchannel]", "enumeration"}); err != nil {
		return err
	}
	if err := writeIntTable(eg, "substrates", subs, -1, meta{"event substrates", "[nchannel x nspecies*]", "indices"}); err != nil {
		return err
	}
	if err := writeIntTable(eg, "stoichiometries", stoich, 0, meta{"substrate stoichiometries", "[nchannel x nspecies*]", "indices"}); err != nil {
		return err
	}
	if len(w.d.Statistics) == 0 {
		return nil
	}
	return writeStrings(g, "event_statistics", w.d.Statistics, meta{"descriptions of statistics rows", "[nstatistics]", "text"})
}

// chunkRows is NeuroRD's chunk length of a growing dataset: the smallest
// power of two of rows holding more than 1024 elements.
func chunkRows(rowElems uint64) uint64 {
	n := uint64(1)
	for n*rowElems <= 1024 {
		n *= 2
	}
	return n
}

// TrialWriter receives the frames of one trial. Its Counts and Values methods
// have the signatures of spinerd's model.Sink and model.ValueSink.
type TrialWriter struct {
	w     *Writer
	index int
	out   *h5.WGroup   // trial<N>/output
	sets  []*setWriter // nil for a set without elements or species
	stats [][2]int64
	ended bool
	err   error
}

type setWriter struct {
	pop, times *h5.Appendable
	n          int // values per frame
	buf        []byte
	lastMs     float64
}

// BeginTrial starts /trial<index> with the seed the trial used.
func (w *Writer) BeginTrial(index int, seed int64) (*TrialWriter, error) {
	if w.trial != nil && !w.trial.ended {
		return nil, fmt.Errorf("%s: trial %d is still open", w.path, w.trial.index)
	}
	if index < 0 || w.trials[index] {
		return nil, fmt.Errorf("%s: trial %d already written or negative", w.path, index)
	}
	t := &TrialWriter{w: w, index: index}
	if err := t.begin(seed); err != nil {
		w.h.Abort()
		return nil, fmt.Errorf("%s: %w", w.path, err)
	}
	w.trials[index] = true
	w.trial = t
	return t, nil
}

func (t *TrialWriter) begin(seed int64) error {
	d := t.w.d
	g, err := t.w.h.Root().CreateGroup("trial" + strconv.Itoa(t.index))
	if err != nil {
		return err
	}
	if err := g.SetString("TITLE", "trial "+strconv.Itoa(t.index)); err != nil {
		return err
	}
	if err := g.SetInt64("simulation_seed", seed); err != nil {
		return err
	}
	out, err := g.CreateGroup("output")
	if err != nil {
		return err
	}
	if err := out.SetString("TITLE", "results of the simulation"); err != nil {
		return err
	}
	t.out = out
	popType := h5.Int(4, true)
	if d.Values == Reals {
		popType = h5.Float64()
	}
	for _, o := range d.Outputs {
		ne, ns := uint64(len(o.Elements)), uint64(len(o.Species))
		if ne == 0 || ns == 0 {
			t.sets = append(t.sets, nil) // NeuroRD writes no population for it
			continue
		}
		sg, err := out.CreateGroup(o.Name)
		if err != nil {
			return err
		}
		pop, err := sg.CreateAppendable("population", popType, []uint64{ne, ns}, chunkRows(ne*ns), pipeline)
		if err != nil {
			return err
		}
		if err := setMeta(pop.Dataset(), meta{"population of species in voxels over time", "[snapshot × nel × nspecout]", "count"}); err != nil {
			return err
		}
		times, err := sg.CreateAppendable("times", h5.Float64(), nil, chunkRows(1), pipeline)
		if err != nil {
			return err
		}
		if err := setMeta(times.Dataset(), meta{"times when snapshots were written", "[times]", "ms"}); err != nil {
			return err
		}
		t.sets = append(t.sets, &setWriter{pop: pop, times: times, n: int(ne * ns), buf: make([]byte, pop.RowBytes()), lastMs: math.Inf(-1)})
	}
	return nil
}

func (t *TrialWriter) set(i int, n int, timeMs float64) (*setWriter, error) {
	if t.err != nil {
		return nil, t.err
	}
	if t.ended {
		return nil, fmt.Errorf("%s: trial %d has ended", t.w.path, t.index)
	}
	if i < 0 || i >= len(t.sets) {
		return nil, fmt.Errorf("%s: output set %d of %d", t.w.path, i, len(t.sets))
	}
	s := t.sets[i]
	if s == nil {
		return nil, nil
	}
	if n != s.n {
		return nil, fmt.Errorf("%s: output set %s: %d values for a frame of %d", t.w.path, t.w.d.Outputs[i].Name, n, s.n)
	}
	if !(timeMs >= s.lastMs) {
		return nil, fmt.Errorf("%s: output set %s: time %g ms before %g ms", t.w.path, t.w.d.Outputs[i].Name, timeMs, s.lastMs)
	}
	s.lastMs = timeMs
	return s, nil
}

func (t *TrialWriter) frame(s *setWriter, timeMs float64) error {
	if err := s.pop.Append(s.buf); err != nil {
		t.err = err
		return err
	}
	var tb [8]byte
	binary.LittleEndian.PutUint64(tb[:], math.Float64bits(timeMs))
	if err := s.times.Append(tb[:]); err != nil {
		t.err = err
	}
	return t.err
}

// Counts appends one frame of output set i at timeMs: counts are
// voxel-major (counts[k*nspecies+j] is species j of the set in its
// voxel k), as model.Sink delivers them.
func (t *TrialWriter) Counts(i int, timeMs float64, counts []int64) error {
	s, err := t.set(i, len(counts), timeMs)
	if s == nil {
		return err
	}
	if t.w.d.Values == Reals {
		for k, c := range counts {
			binary.LittleEndian.PutUint64(s.buf[8*k:], math.Float64bits(float64(c)))
		}
		return t.frame(s, timeMs)
	}
	for k, c := range counts {
		if c < math.MinInt32 || c > math.MaxInt32 {
			t.err = fmt.Errorf("%s: output set %s at %g ms: count %d does not fit NeuroRD's int32 population", t.w.path, t.w.d.Outputs[i].Name, timeMs, c)
			return t.err
		}
		binary.LittleEndian.PutUint32(s.buf[4*k:], uint32(int32(c)))
	}
	return t.frame(s, timeMs)
}

// Values appends one frame of real molecule numbers (deterministic runs;
// the Description must have Values = Reals).
func (t *TrialWriter) Values(i int, timeMs float64, values []float64) error {
	if t.w.d.Values != Reals {
		return fmt.Errorf("%s: real values for an int32 population (describe the model with Values = Reals)", t.w.path)
	}
	s, err := t.set(i, len(values), timeMs)
	if s == nil {
		return err
	}
	for k, v := range values {
		binary.LittleEndian.PutUint64(s.buf[8*k:], math.Float64bits(v))
	}
	return t.frame(s, timeMs)
}

// SetEventStatistics records, per statistics row, the firings and the
// molecules of the trial.
func (t *TrialWriter) SetEventStatistics(rows [][2]int64) error {
	if len(rows) != len(t.w.d.Statistics) {
		return fmt.Errorf("%s: %d statistics rows, the model has %d", t.w.path, len(rows), len(t.w.d.Statistics))
	}
	t.stats = rows
	return nil
}

// End completes the trial.
func (t *TrialWriter) End() error {
	if t.err != nil {
		return t.err
	}
	if t.ended {
		return nil
	}
	t.ended = true
	ns := len(t.w.d.Statistics)
	if ns == 0 {
		return nil
	}
	rowElems := uint64(2 * ns)
	a, err := t.out.CreateAppendable("event_statistics", h5.Int(4, true), []uint64{uint64(ns), 2}, chunkRows(rowElems), pipeline)
	if err != nil {
		return err
	}
	if err := setMeta(a.Dataset(), meta{"actual event counts since last snapshot", "[times × events × species]", "count"}); err != nil {
		return err
	}
	vals := make([]int, 0, 2*ns)
	for k := 0; k < ns; k++ {
		if t.stats == nil {
			vals = append(vals, -1, -1)
			continue
		}
		vals = append(vals, int(min(t.stats[k][0], math.MaxInt32)), int(min(t.stats[k][1], math.MaxInt32)))
	}
	raw, err := int32Bytes(vals)
	if err != nil {
		return err
	}
	return a.Append(raw)
}

// Close ends the open trial and completes the file.
func (w *Writer) Close() error {
	if w.trial != nil {
		if err := w.trial.End(); err != nil {
			w.h.Abort()
			return err
		}
	}
	return w.h.Close()
}

// Abort removes the unfinished file.
func (w *Writer) Abort() { w.h.Abort() }
