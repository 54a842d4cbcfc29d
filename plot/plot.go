// Package plot draws figures of trajectories with gonum/plot: the time
// course of chosen species (summed over the voxels of an output set), one
// panel per species; for several runs (seeds), or an ensemble's
// summary.traj of a one-voxel model, the mean with a band of ±1 standard
// deviation or of the 5–95 % range. Axes are molecules or, with
// Options.Concentration, nM (molecules / (volume · 0.602214179)). Times
// are ms.
package plot

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/runfile"
	"github.com/spinerd/spinerd/traj"
)

// Band selects the spread drawn around the mean of several runs.
type Band string

const (
	// BandSD is mean ± one standard deviation.
	BandSD Band = "sd"
	// BandQuantiles is the 5–95 % range.
	BandQuantiles Band = "quantiles"
)

// Options configures a figure.
type Options struct {
	Species       []string // species ids, one panel each
	Set           int      // output set (0: main)
	Concentration bool     // nM instead of molecules
	Band          Band     // for several runs; default BandSD
	Title         string
	// Width and height of a panel; zero means 16 cm × 6 cm.
	Width, PanelHeight vg.Length
}

// series is one species' values over runs: values[run][frame]; or, from
// an ensemble summary, the mean with a precomputed band lo–hi.
type series struct {
	times  []float64
	values [][]float64
	lo, hi []float64
	// runs is the number of runs summarised (several files, or an
	// ensemble summary's count); 0 for a single run.
	runs int
}

// summarySets returns, for an ensemble summary trajectory (spinerd
// ensemble's summary.traj) whose set has one voxel, the sets holding the
// mean and the band's edges (lo, hi; sd: the SD set twice).
func summarySets(h *traj.Header, band Band) (mean, lo, hi int, sdBand, ok bool) {
	if h.Extra["stats"] == "" || len(h.Sets[0].Voxels) != 1 {
		return 0, 0, 0, false, false
	}
	idx := map[string]int{}
	for i, s := range h.Sets {
		idx[s.Name] = i
	}
	m, okm := idx["mean"]
	if band == BandQuantiles {
		a, oka := idx["q0.05"]
		b, okb := idx["q0.95"]
		return m, a, b, false, okm && oka && okb
	}
	sd, oks := idx["sd"]
	return m, sd, sd, true, okm && oks
}

// load reads the chosen species of every file, checking that the runs
// share their output times.
func load(files []string, opt Options) ([]series, string, error) {
	out := make([]series, len(opt.Species))
	var unit string
	for fi, path := range files {
		r, err := runfile.Open(path)
		if err != nil {
			return nil, "", err
		}
		h := r.Header()
		if opt.Set < 0 || opt.Set >= len(h.Sets) {
			r.Close()
			return nil, "", fmt.Errorf("%s: no output set %d", path, opt.Set)
		}
		vol := 0.0
		for _, v := range h.Sets[opt.Set].Voxels {
			vol += h.Voxels[v].VolumeUm3
		}
		scale := 1.0
		unit = "molecules"
		if opt.Concentration && !(vol > 0) {
			r.Close()
			return nil, "", fmt.Errorf("%s: the file records no voxel volumes: plot molecules, or a trajectory", path)
		}
		if opt.Concentration {
			scale = 1 / (vol * model.PUVC)
			unit = "nM"
		}
		mi, li, hi, sdBand, summary := summarySets(h, opt.Band)
		summary = summary && len(files) == 1 && opt.Set == 0
		for si, id := range opt.Species {
			sp, ok := h.SpeciesIndex(id)
			if !ok {
				r.Close()
				return nil, "", fmt.Errorf("%s: no species %q", path, id)
			}
			if summary {
				ts, m, err1 := runfile.Series(r, mi, sp, -1)
				_, a, err2 := runfile.Series(r, li, sp, -1)
				_, b, err3 := runfile.Series(r, hi, sp, -1)
				if err := errors.Join(err1, err2, err3); err != nil {
					r.Close()
					return nil, "", err
				}
				for i := range m {
					if sdBand {
						a[i], b[i] = m[i]-a[i], m[i]+b[i]
					}
					m[i], a[i], b[i] = m[i]*scale, a[i]*scale, b[i]*scale
				}
				n, _ := strconv.Atoi(h.Extra["ensemble_runs"])
				out[si] = series{times: ts, values: [][]float64{m}, lo: a, hi: b, runs: n}
				continue
			}
			ts, vs, err := runfile.Series(r, opt.Set, sp, -1)
			if err != nil {
				r.Close()
				return nil, "", err
			}
			for i := range vs {
				vs[i] *= scale
			}
			if fi == 0 {
				out[si].times = ts
			} else if len(ts) != len(out[si].times) {
				r.Close()
				return nil, "", fmt.Errorf("%s has %d output times, %s has %d: plot runs of the same protocol together", path, len(ts), files[0], len(out[si].times))
			}
			out[si].values = append(out[si].values, vs)
			if len(files) > 1 {
				out[si].runs = len(files)
			}
		}
		r.Close()
	}
	return out, unit, nil
}

// The colours of the mean and of the band (not premultiplied: the band
// is the line's colour at 25 % opacity).
func lineColor() color.Color { return color.NRGBA{R: 0x1f, G: 0x4e, B: 0x9a, A: 0xff} }
func bandColor() color.Color { return color.NRGBA{R: 0x1f, G: 0x4e, B: 0x9a, A: 0x40} }

// bandLabel says what a panel's band shows.
func bandLabel(band Band, runs int) string {
	if band == BandQuantiles {
		return fmt.Sprintf("mean and 5–95 %% range of %d runs", runs)
	}
	return fmt.Sprintf("mean ± SD of %d runs", runs)
}

func panel(id, unit string, s series, band Band) (*gplot.Plot, error) {
	p := gplot.New()
	p.Title.Text = id
	if s.runs > 0 {
		p.Title.Text = id + " (" + bandLabel(band, s.runs) + ")"
	}
	p.Title.Padding = 2 * vg.Millimeter
	p.X.Label.Text = "time (ms)"
	p.Y.Label.Text = unit
	n := len(s.times)
	mean := make(plotter.XYs, n)
	lo := make(plotter.XYs, n)
	hi := make(plotter.XYs, n)
	col := make([]float64, len(s.values))
	for f := 0; f < n; f++ {
		sum := 0.0
		for r := range s.values {
			col[r] = s.values[r][f]
			sum += col[r]
		}
		m := sum / float64(len(col))
		mean[f] = plotter.XY{X: s.times[f], Y: m}
		if len(col) < 2 {
			continue
		}
		var a, b float64
		if band == BandQuantiles {
			sort.Float64s(col)
			a, b = quantile(col, 0.05), quantile(col, 0.95)
		} else {
			ss := 0.0
			for _, v := range col {
				ss += (v - m) * (v - m)
			}
			sd := math.Sqrt(ss / float64(len(col)-1))
			a, b = m-sd, m+sd
		}
		lo[f] = plotter.XY{X: s.times[f], Y: a}
		hi[f] = plotter.XY{X: s.times[f], Y: b}
	}
	if s.lo != nil {
		for f := 0; f < n; f++ {
			lo[f] = plotter.XY{X: s.times[f], Y: s.lo[f]}
			hi[f] = plotter.XY{X: s.times[f], Y: s.hi[f]}
		}
	}
	if (len(s.values) > 1 || s.lo != nil) && n > 0 {
		ring := make(plotter.XYs, 0, 2*n)
		ring = append(ring, hi...)
		for f := n - 1; f >= 0; f-- {
			ring = append(ring, lo[f])
		}
		poly, err := plotter.NewPolygon(ring)
		if err != nil {
			return nil, err
		}
		poly.Color = bandColor()
		poly.LineStyle.Width = 0
		p.Add(poly)
	}
	line, err := plotter.NewLine(mean)
	if err != nil {
		return nil, err
	}
	line.Color = lineColor()
	line.Width = vg.Points(1.2)
	p.Add(line)
	return p, nil
}

// quantile of sorted x by linear interpolation.
func quantile(x []float64, q float64) float64 {
	pos := q * float64(len(x)-1)
	i := int(pos)
	if i+1 >= len(x) {
		return x[len(x)-1]
	}
	return x[i] + (pos-float64(i))*(x[i+1]-x[i])
}

// Write draws the figure of files (trajectories of one protocol: one run,
// or several seeds) to w as PNG or SVG (format "png" or "svg").
func Write(w io.Writer, format string, files []string, opt Options) error {
	if len(opt.Species) == 0 {
		return fmt.Errorf("no species to plot")
	}
	if len(files) == 0 {
		return fmt.Errorf("no trajectories to plot")
	}
	data, unit, err := load(files, opt)
	if err != nil {
		return err
	}
	width, ph := opt.Width, opt.PanelHeight
	if width == 0 {
		width = 16 * vg.Centimeter
	}
	if ph == 0 {
		ph = 6 * vg.Centimeter
	}
	height := ph * vg.Length(len(data))
	plots := make([][]*gplot.Plot, len(data))
	for i, s := range data {
		p, err := panel(opt.Species[i], unit, s, opt.Band)
		if err != nil {
			return err
		}
		if i == 0 && opt.Title != "" {
			p.Title.Text = opt.Title + ": " + p.Title.Text
		}
		plots[i] = []*gplot.Plot{p}
	}
	return writeColumn(w, format, width, height, plots)
}

// writeColumn draws plots (one per row) stacked in a figure of the given
// size and writes it to w as PNG or SVG.
func writeColumn(w io.Writer, format string, width, height vg.Length, plots [][]*gplot.Plot) error {
	var canvas vg.CanvasWriterTo
	switch strings.ToLower(format) {
	case "png":
		canvas = vgimg.PngCanvas{Canvas: vgimg.New(width, height)}
	case "svg":
		canvas = vgsvg.New(width, height)
	default:
		return fmt.Errorf("unknown figure format %q (use png or svg)", format)
	}
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadTop: vg.Millimeter, PadBottom: vg.Millimeter, PadX: vg.Millimeter, PadY: 2 * vg.Millimeter}
	canvases := gplot.Align(plots, tiles, draw.New(canvas))
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	_, err := canvas.WriteTo(w)
	return err
}

// FormatOf returns the figure format of a file name: "png" or "svg".
func FormatOf(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		return "png", nil
	case ".svg":
		return "svg", nil
	}
	return "", fmt.Errorf("figure %s: use a .png or .svg name", path)
}

// Lines draws one panel per series against time (ms), each titled by its
// label, to w as PNG or SVG.
func Lines(w io.Writer, format string, times []float64, series [][]float64, labels []string, title string) error {
	return LinesX(w, format, "time (ms)", times, series, labels, title)
}

// LinesX is Lines with another x axis label.
func LinesX(w io.Writer, format, xLabel string, times []float64, series [][]float64, labels []string, title string) error {
	width, ph := 16*vg.Centimeter, 6*vg.Centimeter
	plots := make([][]*gplot.Plot, len(series))
	for i, ys := range series {
		p := gplot.New()
		p.Title.Text = labels[i]
		if i == 0 && title != "" {
			p.Title.Text = title + ": " + labels[i]
		}
		p.X.Label.Text = xLabel
		xy := make(plotter.XYs, len(times))
		for k := range times {
			xy[k] = plotter.XY{X: times[k], Y: ys[k]}
		}
		line, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		line.Color = lineColor()
		line.Width = vg.Points(1.2)
		p.Add(line)
		plots[i] = []*gplot.Plot{p}
	}
	return writeColumn(w, format, width, ph*vg.Length(len(series)), plots)
}
