package neurord

import (
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"

	"github.com/spinerd/spinerd/diag"
	"github.com/spinerd/spinerd/mesh"
	"github.com/spinerd/spinerd/model"
)

// Namespace is NeuroRD's XML namespace.
const Namespace = "http://stochdiff.textensor.org"

// Load reads a NeuroRD model file and the files it includes.
//
// It returns the model, the warnings (elements spinerd ignores, duplicate
// reaction ids, …) and an error that is a *diag.Error listing every
// problem found. When only values were bad (not the XML structure) the
// returned model is non-nil even with an error, so that later stages can
// report their problems in the same pass.
func Load(path string) (*model.Model, diag.List, error) {
	return load(osParser(), path)
}

// LoadFS is Load reading from a file system (e.g. an embedded one); include
// paths are resolved with slash-separated paths inside fsys.
func LoadFS(fsys fs.FS, path string) (*model.Model, diag.List, error) {
	return load(fsParser(fsys), path)
}

// LoadBytes reads a model from memory; includes are resolved relative to
// name on the OS file system.
func LoadBytes(data []byte, name string) (*model.Model, diag.List, error) {
	p := osParser()
	root := p.parse(data, name)
	return finish(p, root, name)
}

func load(p *parser, path string) (*model.Model, diag.List, error) {
	root := p.parseFile(path, diag.Pos{})
	return finish(p, root, path)
}

func finish(p *parser, root *node, path string) (*model.Model, diag.List, error) {
	if root == nil || p.diags.HasErrors() {
		// Syntax or include errors: the document is incomplete and
		// interpreting it would only add misleading errors.
		return nil, p.diags.Warnings(), p.diags.Err()
	}
	l := &loader{diags: &p.diags, m: &model.Model{Source: path, Settings: model.Defaults()}}
	l.sdrun(root)
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	root.attrs = append(root.attrs[:0:0], root.attrs...)
	root.write(&b, "")
	text := b.String()
	// The root carries NeuroRD's namespace in the resolved text.
	if i := strings.Index(text, "<"+root.name); i >= 0 {
		j := i + 1 + len(root.name)
		text = text[:j] + ` xmlns="` + Namespace + `"` + text[j:]
	}
	l.m.Text = text
	return l.m, p.diags.Warnings(), p.diags.Err()
}

// loader interprets the document as a model.
type loader struct {
	diags *diag.List
	m     *model.Model
	seen  map[string]diag.Pos
}

func (l *loader) errorf(n *node, value, format string, args ...any) {
	l.diags.Errorf(n.pos, n.describe(), value, format, args...)
}

func (l *loader) warnf(n *node, value, format string, args ...any) {
	l.diags.Warnf(n.pos, n.describe(), value, format, args...)
}

func (l *loader) ignored(n *node, where string) {
	l.warnf(n, "", "element <%s> in %s is not used by spinerd and is ignored", n.name, where)
}

// once warns when a single-valued element appears again.
func (l *loader) once(n *node) {
	if l.seen == nil {
		l.seen = map[string]diag.Pos{}
	}
	if p, ok := l.seen[n.name]; ok {
		l.warnf(n, "", "<%s> given again (first at %s): the last one is used, as in NeuroRD", n.name, p)
	}
	l.seen[n.name] = n.pos
}

// parseFloat reads a real number as NeuroRD does (surrounding space allowed).
func parseFloat(s string) (float64, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimSuffix(s, "d"), "D")
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(v) {
		return 0, fmt.Errorf("not a number")
	}
	return v, nil
}

// num reads the element's text as a real number.
func (l *loader) num(n *node) (float64, bool) {
	s := n.content()
	if s == "" {
		l.errorf(n, s, "empty value: a number is required")
		return 0, false
	}
	v, err := parseFloat(s)
	if err != nil {
		l.errorf(n, s, "%q is not a number", s)
		return 0, false
	}
	return v, true
}

// attrNum reads attribute key as a real number; ok is false if absent or bad.
func (l *loader) attrNum(n *node, key string) (v float64, present, ok bool) {
	s, present := n.attr(key)
	if !present {
		return 0, false, false
	}
	v, err := parseFloat(s)
	if err != nil {
		l.diags.Errorf(n.pos, n.describe(), s, "attribute %s=%q is not a number", key, s)
		return 0, true, false
	}
	return v, true, true
}

// attrInt reads attribute key as an integer.
func (l *loader) attrInt(n *node, key string, def int) int {
	s, present := n.attr(key)
	if !present {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		f, ferr := parseFloat(s)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1e9 {
			l.diags.Errorf(n.pos, n.describe(), s, "attribute %s=%q is not an integer", key, s)
			return def
		}
		v = int(f)
	}
	return v
}

func (l *loader) sdrun(root *node) {
	m := l.m
	s := &m.Settings
	s.Pos["SDRun"] = root.pos
	if root.name != "SDRun" {
		l.errorf(root, root.name, "the root element is <%s>; a NeuroRD model has <SDRun>", root.name)
		return
	}
	m.Discretization.DefaultMaxElementSideUm = math.Inf(1)
	m.Discretization.Depth2DUm = 0.5
	for _, c := range root.children {
		switch c.name {
		case "ReactionScheme":
			l.once(c)
			m.Species, m.Reactions = nil, nil
			l.reactionScheme(c)
		case "Morphology":
			l.once(c)
			m.Morphology = mesh.Morphology{}
			l.morphology(c)
		case "InitialConditions":
			l.once(c)
			m.Concentrations, m.Surfaces = nil, nil
			l.initialConditions(c)
		case "StimulationSet":
			l.once(c)
			m.Stimuli = nil
			l.stimulationSet(c)
		case "OutputScheme":
			l.once(c)
			m.OutputSets = nil
			l.outputScheme(c)
		case "discretization":
			l.once(c)
			l.discretization(c)
		case "geometry":
			l.once(c)
			switch c.content() {
			case "2D":
				m.Discretization.Geometry = mesh.Geometry2D
			case "3D":
				m.Discretization.Geometry = mesh.Geometry3D
			default:
				l.errorf(c, c.content(), "geometry %q must be 2D or 3D", c.content())
			}
		case "depth2D":
			l.once(c)
			if v, ok := l.num(c); ok {
				if !(v > 0) {
					l.errorf(c, c.content(), "depth2D %g µm must be positive", v)
				}
				m.Discretization.Depth2DUm = v
			}
		case "runtime":
			l.setting(c, &s.RuntimeMs, &s.HasRuntime)
		case "starttime":
			l.setting(c, &s.StartMs, nil)
		case "endtime":
			l.setting(c, &s.EndMs, &s.HasEnd)
		case "outputInterval":
			l.setting(c, &s.OutputIntervalMs, &s.HasOutputInterval)
		case "fixedStepDt":
			if l.setting(c, &s.FixedStepMs, nil) && !(s.FixedStepMs > 0) {
				l.errorf(c, c.content(), "fixedStepDt %g ms must be positive", s.FixedStepMs)
			}
		case "tolerance":
			l.setting(c, &s.Tolerance, nil)
		case "calculation":
			l.once(c)
			s.Pos[c.name] = c.pos
			s.Calculation = c.content()
		case "simulationSeed":
			l.once(c)
			s.Pos[c.name] = c.pos
			if v, ok := l.seed(c); ok {
				s.SimulationSeed = v
			}
		case "spineSeed":
			l.once(c)
			if v, ok := l.seed(c); ok {
				m.Discretization.SpineSeed = v
			}
		case "leap_min_jump":
			l.setting(c, &s.LeapMinJump, nil)
		case "outputSpecies":
			l.once(c)
			m.OutputSpecies = strings.FieldsFunc(c.content(), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
			s.Pos[c.name] = c.pos
		case "distribution":
			// Parsed but unused by NeuroRD's adaptive and exact methods
			// (pitfall P15); injection distributions are per stimulus.
			switch c.content() {
			case "BINOMIAL", "POISSON", "EXACT":
			default:
				l.errorf(c, c.content(), "distribution %q must be BINOMIAL, POISSON or EXACT", c.content())
			}
		case "algorithm":
			if c.content() != "INDEPENDENT" {
				l.errorf(c, c.content(), "algorithm %q: only INDEPENDENT exists", c.content())
			}
		case "outputQuantity":
			// NeuroRD ignores it too: outputs are always molecule counts.
			switch c.content() {
			case "NUMBER":
			case "CONCENTRATION":
				l.warnf(c, c.content(), "outputQuantity CONCENTRATION is ignored: outputs are molecule counts (NeuroRD ignores it too)")
			default:
				l.errorf(c, c.content(), "outputQuantity %q must be NUMBER or CONCENTRATION", c.content())
			}
		case "reactionSchemeFile", "morphologyFile", "stimulationFile", "initialConditionsFile", "outputSchemeFile":
			l.errorf(c, c.content(), "<%s> (NeuroRD 2 file references) is not supported: use <xi:include href=...> instead", c.name)
		case "statistics", "stateSaveInterval", "action", "output":
			l.ignored(c, "<SDRun>")
		default:
			l.warnf(c, "", "unknown element <%s> in <SDRun> is ignored", c.name)
		}
	}
}

// setting reads a numeric run setting into v, marking it present in has
// (even when the value is bad, so that it is not also reported missing)
// and recording its position. It reports whether v was set.
func (l *loader) setting(n *node, v *float64, has *bool) bool {
	l.once(n)
	l.m.Settings.Pos[n.name] = n.pos
	if has != nil {
		*has = true
	}
	x, ok := l.num(n)
	if ok {
		*v = x
	}
	return ok
}

func (l *loader) seed(n *node) (int64, bool) {
	s := n.content()
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		l.errorf(n, s, "%q is not an integer seed", s)
		return 0, false
	}
	return v, true
}

func (l *loader) reactionScheme(n *node) {
	for _, c := range n.children {
		switch c.name {
		case "Specie":
			l.specie(c)
		case "Reaction":
			l.reaction(c)
		default:
			l.warnf(c, "", "unknown element <%s> in <ReactionScheme> is ignored", c.name)
		}
	}
}

func (l *loader) specie(n *node) {
	sp := model.Species{Pos: n.pos}
	sp.Name, _ = n.attr("name")
	id, hasID := n.attr("id")
	if !hasID || id == "" {
		id = sp.Name
	}
	sp.ID = id
	if v, present, ok := l.attrNum(n, "kdiff"); present && ok {
		sp.KDiff = v
	}
	sp.KDiffUnit, _ = n.attr("kdiffunit")
	if len(n.children) > 0 {
		l.warnf(n.children[0], "", "<Specie> has no child elements; <%s> is ignored", n.children[0].name)
	}
	l.m.Species = append(l.m.Species, sp)
}

func (l *loader) reaction(n *node) {
	r := model.Reaction{Pos: n.pos}
	r.Name, _ = n.attr("name")
	r.ID, _ = n.attr("id")
	if r.ID == "" {
		r.ID = r.Name
	}
	for _, c := range n.children {
		switch c.name {
		case "Reactant", "Product":
			t := model.Term{Pos: c.pos}
			t.Species, _ = c.attr("specieID")
			if t.Species == "" {
				l.errorf(c, "", "<%s> without specieID", c.name)
			}
			t.Power = l.attrInt(c, "power", 1)
			t.N = l.attrInt(c, "n", t.Power)
			if c.name == "Reactant" {
				r.Reactants = append(r.Reactants, t)
			} else {
				r.Products = append(r.Products, t)
			}
		case "forwardRate":
			r.RatePos[0] = c.pos
			if v, ok := l.num(c); ok {
				r.ForwardRate = v
			} else {
				r.ForwardRate = math.NaN()
			}
		case "reverseRate":
			r.RatePos[1] = c.pos
			if v, ok := l.num(c); ok {
				r.ReverseRate = v
			} else {
				r.ReverseRate = math.NaN()
			}
		case "Q10":
			// Read and ignored, as in NeuroRD.
		default:
			l.warnf(c, "", "unknown element <%s> in <Reaction> is ignored", c.name)
		}
	}
	l.m.Reactions = append(l.m.Reactions, r)
}

func (l *loader) point(n *node) mesh.Point {
	p := mesh.Point{Pos: n.pos}
	var ok bool
	p.XUm, p.HasX, ok = l.attrNum(n, "x")
	p.HasX = p.HasX && ok
	p.YUm, p.HasY, ok = l.attrNum(n, "y")
	p.HasY = p.HasY && ok
	p.ZUm, p.HasZ, ok = l.attrNum(n, "z")
	p.HasZ = p.HasZ && ok
	var rPresent bool
	p.RUm, rPresent, ok = l.attrNum(n, "r")
	p.HasR = rPresent && ok
	p.Label, _ = n.attr("label")
	p.On, _ = n.attr("on")
	p.At, _ = n.attr("at")
	p.AtFraction, p.HasAtFraction, ok = l.attrNum(n, "atFraction")
	p.HasAtFraction = p.HasAtFraction && ok
	return p
}

func (l *loader) morphology(n *node) {
	mo := &l.m.Morphology
	for _, c := range n.children {
		switch c.name {
		case "Segment":
			s := mesh.Segment{Pos: c.pos}
			s.ID, _ = c.attr("id")
			s.Region, _ = c.attr("region")
			var hasStart, hasEnd bool
			for _, e := range c.children {
				switch e.name {
				case "start":
					s.Start, hasStart = l.point(e), true
				case "end":
					s.End, hasEnd = l.point(e), true
				default:
					l.warnf(e, "", "unknown element <%s> in <Segment> is ignored", e.name)
				}
			}
			if !hasStart || !hasEnd {
				l.errorf(c, "", "a <Segment> needs <start> and <end>")
				continue
			}
			mo.Segments = append(mo.Segments, s)
		case "SpineType":
			st := mesh.SpineType{Pos: c.pos}
			st.ID, _ = c.attr("id")
			for _, e := range c.children {
				if e.name != "Section" {
					l.warnf(e, "", "unknown element <%s> in <SpineType> is ignored", e.name)
					continue
				}
				sec := mesh.Section{Pos: e.pos}
				var present bool
				sec.AtUm, present, _ = l.attrNum(e, "at")
				if !present {
					l.errorf(e, "", "<Section> needs at=")
				}
				sec.WidthUm, present, _ = l.attrNum(e, "width")
				if !present {
					l.errorf(e, "", "<Section> needs width=")
				}
				sec.RegionClass, _ = e.attr("regionClass")
				sec.Label, _ = e.attr("label")
				st.Sections = append(st.Sections, sec)
			}
			mo.SpineTypes = append(mo.SpineTypes, st)
		case "SpineAllocation":
			a := mesh.SpineAllocation{Pos: c.pos}
			a.ID, _ = c.attr("id")
			a.SpineType, _ = c.attr("spineType")
			a.Region, _ = c.attr("region")
			a.AreaDensityPerUm2, _, _ = l.attrNum(c, "areaDensity")
			a.LengthDensityPerUm, _, _ = l.attrNum(c, "lengthDensity")
			mo.SpineAllocations = append(mo.SpineAllocations, a)
		default:
			l.warnf(c, "", "unknown element <%s> in <Morphology> is ignored", c.name)
		}
	}
}

func (l *loader) initialConditions(n *node) {
	for _, c := range n.children {
		switch c.name {
		case "ConcentrationSet":
			set := model.ConcentrationSet{Pos: c.pos}
			set.Region, _ = c.attr("region")
			for _, e := range c.children {
				var conc model.Concentration
				conc.Pos = e.pos
				conc.Species, _ = e.attr("specieID")
				key := "value"
				switch e.name {
				case "NanoMolarity":
					conc.Unit = model.NanoMolar
				case "NumberDensity":
					conc.Unit = model.PerCubicMicron
					key = "number"
				default:
					l.warnf(e, "", "unknown element <%s> in <ConcentrationSet> is ignored", e.name)
					continue
				}
				v, present, ok := l.attrNum(e, key)
				if !present {
					l.errorf(e, "", "<%s> needs %s=", e.name, key)
					continue
				}
				if !ok {
					continue
				}
				conc.Value = v
				set.Entries = append(set.Entries, conc)
			}
			l.m.Concentrations = append(l.m.Concentrations, set)
		case "SurfaceDensitySet":
			set := model.SurfaceDensitySet{Pos: c.pos}
			set.Region, _ = c.attr("region")
			for _, e := range c.children {
				if e.name != "PicoSD" {
					l.warnf(e, "", "unknown element <%s> in <SurfaceDensitySet> is ignored", e.name)
					continue
				}
				sd := model.SurfaceDensity{Pos: e.pos}
				sd.Species, _ = e.attr("specieID")
				v, present, ok := l.attrNum(e, "value")
				if !present {
					l.errorf(e, "", "<PicoSD> needs value=")
					continue
				}
				if !ok {
					continue
				}
				sd.PicoSD = v
				set.Entries = append(set.Entries, sd)
			}
			l.m.Surfaces = append(l.m.Surfaces, set)
		case "fitConstraints":
			l.ignored(c, "<InitialConditions>")
		default:
			l.warnf(c, "", "unknown element <%s> in <InitialConditions> is ignored", c.name)
		}
	}
}

func (l *loader) stimulationSet(n *node) {
	for _, c := range n.children {
		if c.name != "InjectionStim" {
			l.warnf(c, "", "unknown element <%s> in <StimulationSet> is ignored", c.name)
			continue
		}
		in := model.Injection{Pos: c.pos, NumTrains: 1}
		in.Species, _ = c.attr("specieID")
		in.Site, _ = c.attr("injectionSite")
		if d, ok := c.attr("distribution"); ok {
			switch d {
			case "POISSON":
				in.Distribution = model.DistPoisson
			case "EXACT":
				in.Distribution = model.DistExact
			case "BINOMIAL":
				l.errorf(c, d, "distribution BINOMIAL is not implemented for injections (NeuroRD rejects it too); use POISSON or EXACT")
			default:
				l.errorf(c, d, "distribution %q must be POISSON or EXACT", d)
			}
		}
		in.ChildPos = map[string]diag.Pos{}
		for _, e := range c.children {
			in.ChildPos[e.name] = e.pos
			switch e.name {
			case "onset":
				in.OnsetMs, in.HasOnset = l.num(e)
			case "duration":
				in.DurationMs, in.HasDuration = l.num(e)
			case "rate":
				in.RatePerMs, in.HasRate = l.num(e)
			case "period":
				in.PeriodMs, in.HasPeriod = l.num(e)
			case "end":
				in.EndMs, in.HasEnd = l.num(e)
			case "interTrainInterval":
				in.InterTrainMs, _ = l.num(e)
			case "numTrains":
				v, ok := l.num(e)
				if ok && (v != math.Trunc(v) || math.Abs(v) > 1e9) {
					l.errorf(e, e.content(), "numTrains %q is not an integer", e.content())
					ok = false
				}
				if ok {
					in.NumTrains, in.HasNumTrains = int(v), true
				}
			case "rates":
				in.Rates = l.rates(e)
			default:
				l.warnf(e, "", "unknown element <%s> in <InjectionStim> is ignored", e.name)
			}
		}
		l.m.Stimuli = append(l.m.Stimuli, in)
	}
}

// rates reads a <rates> table: whitespace-separated "time rate" rows.
func (l *loader) rates(n *node) []model.RateRow {
	f := strings.Fields(n.content())
	if len(f)%2 != 0 {
		l.errorf(n, "", "<rates> needs pairs of time and rate; found %d numbers", len(f))
		return nil
	}
	var rows []model.RateRow
	for i := 0; i < len(f); i += 2 {
		t, err1 := parseFloat(f[i])
		r, err2 := parseFloat(f[i+1])
		if err1 != nil || err2 != nil {
			l.errorf(n, f[i]+" "+f[i+1], "<rates> row %d (%q %q) is not two numbers", i/2+1, f[i], f[i+1])
			return nil
		}
		rows = append(rows, model.RateRow{TimeMs: t, RatePerMs: r})
	}
	if len(rows) == 0 {
		l.errorf(n, "", "empty <rates> table")
	}
	return rows
}

func (l *loader) outputScheme(n *node) {
	for _, c := range n.children {
		if c.name != "OutputSet" {
			l.warnf(c, "", "unknown element <%s> in <OutputScheme> is ignored", c.name)
			continue
		}
		o := model.OutputSet{Pos: c.pos}
		o.Filename, _ = c.attr("filename")
		o.Region, _ = c.attr("region")
		if v, present, ok := l.attrNum(c, "outputInterval"); present && ok {
			o.IntervalMs = v
		} else if v, present, ok := l.attrNum(c, "dt"); present && ok {
			o.IntervalMs = v
		}
		for _, e := range c.children {
			if e.name != "OutputSpecie" {
				l.warnf(e, "", "unknown element <%s> in <OutputSet> is ignored", e.name)
				continue
			}
			name, _ := e.attr("name")
			if name == "" {
				l.errorf(e, "", "<OutputSpecie> without name")
				continue
			}
			o.Species = append(o.Species, name)
		}
		l.m.OutputSets = append(l.m.OutputSets, o)
	}
}

func (l *loader) discretization(n *node) {
	d := &l.m.Discretization
	d.Pos = n.pos
	d.DefaultMaxElementSideUm = 1 // NeuroRD's default when the element exists
	seen := map[string]bool{}
	for _, c := range n.children {
		switch c.name {
		case "defaultMaxElementSide":
			if v, ok := l.num(c); ok {
				if !(v > 0) {
					l.errorf(c, c.content(), "defaultMaxElementSide %g µm must be positive", v)
				}
				d.DefaultMaxElementSideUm = v
			}
		case "maxElementSide", "MaxElementSide":
			key, _ := c.attr("region")
			if seen[key] {
				l.errorf(c, key, "a second <%s> for region %q", c.name, key)
				continue
			}
			seen[key] = true
			if v, ok := l.num(c); ok {
				d.MaxElementSide = append(d.MaxElementSide, mesh.SizeOverride{Key: key, SizeUm: v, Pos: c.pos})
			}
		case "spineDeltaX":
			if v, ok := l.num(c); ok {
				if !(v > 0) {
					l.errorf(c, c.content(), "spineDeltaX %g µm must be positive", v)
				}
				d.SpineDeltaXUm = v
			}
		case "surfaceLayers":
			d.SurfaceLayersUm = nil
			for _, f := range strings.FieldsFunc(c.content(), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
				v, err := parseFloat(f)
				if err != nil {
					l.errorf(c, f, "surface layer %q is not a number", f)
					continue
				}
				d.SurfaceLayersUm = append(d.SurfaceLayersUm, v)
			}
		case "elementShape":
			switch c.content() {
			case "Cuboid", "Curved":
				d.ElementShape = c.content()
			default:
				l.errorf(c, c.content(), "elementShape %q must be Cuboid or Curved", c.content())
			}
		case "maxAspectRatio":
			// Only used by the Curved discretiser.
		default:
			l.warnf(c, "", "unknown element <%s> in <discretization> is ignored", c.name)
		}
	}
}

// Compile loads the model at path and compiles it, reporting the problems
// of both stages together: it returns the system, all warnings, and a
// *diag.Error listing every error found.
func Compile(path string, opt model.Options) (*model.System, diag.List, error) {
	m, warns, err := Load(path)
	if m == nil {
		return nil, warns, err
	}
	sys, cwarns, cerr := model.Compile(m, opt)
	warns = append(warns, cwarns...)
	if err == nil && cerr == nil {
		return sys, warns, nil
	}
	var all diag.List
	for _, e := range []error{err, cerr} {
		if de, ok := e.(*diag.Error); ok {
			all = append(all, de.List...)
		}
	}
	return nil, warns, all.Err()
}
