package plot

import (
	"cmp"
	"fmt"
	"image/color"
	"io"
	"slices"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/spinerd/spinerd/firings"
)

// Firings draws a table of `spinerd run --firings` (rows as firings.Read
// gives them): the top classes' shares of all the single events as bars,
// the busiest at the top, and, when the table has several intervals, the
// single events per ms of the busiest few in each interval (a step per
// interval). title heads the figure (the file's name, say).
func Firings(w io.Writer, format string, rows []firings.Row, top int, title string) error {
	if len(rows) == 0 {
		return fmt.Errorf("no firings to plot")
	}
	classes, total := firings.Busiest(rows, top)
	if total == 0 {
		return fmt.Errorf("no single events to plot (the firings were all in leaps, steps or exchanges)")
	}
	type interval struct{ from, to float64 }
	var intervals []interval
	seen := map[interval]bool{}
	for _, r := range rows {
		if iv := (interval{r.FromMs, r.ToMs}); !seen[iv] {
			seen[iv] = true
			intervals = append(intervals, iv)
		}
	}

	// bars: the busiest at the top (gonum draws the first value lowest)
	bars := gplot.New()
	bars.Title.Text = fmt.Sprintf("%s: share of all %d single events", title, total)
	values := make(plotter.Values, len(classes))
	labels := make([]string, len(classes))
	for i, c := range classes {
		j := len(classes) - 1 - i
		values[j] = 100 * float64(c.Single) / float64(total)
		labels[j] = c.Class.Label()
	}
	bc, err := plotter.NewBarChart(values, vg.Points(9))
	if err != nil {
		return err
	}
	bc.Horizontal = true
	bc.Color = lineColor()
	bc.LineStyle.Width = 0
	bars.Add(bc)
	bars.NominalY(labels...)
	bars.X.Label.Text = "% of single events"
	bars.X.Min = 0
	plots := [][]*gplot.Plot{{bars}}
	height := vg.Length(len(classes))*0.55*vg.Centimeter + 3*vg.Centimeter

	if len(intervals) > 1 {
		slices.SortFunc(intervals, func(a, b interval) int { return cmp.Compare(a.from, b.from) })
		lines := gplot.New()
		lines.Title.Text = "single events per ms, the busiest classes"
		lines.X.Label.Text = "time (ms)"
		lines.Y.Label.Text = "single events / ms"
		lines.Legend.Top = true
		lines.Legend.Left = false
		most := 0.0
		colors := palette()
		for i, c := range classes[:min(len(colors), len(classes))] {
			rate := map[interval]float64{}
			for _, r := range rows {
				if r.Class == c.Class {
					rate[interval{r.FromMs, r.ToMs}] = float64(r.Single) / (r.ToMs - r.FromMs)
				}
			}
			var xy plotter.XYs
			for _, iv := range intervals {
				xy = append(xy, plotter.XY{X: iv.from, Y: rate[iv]}, plotter.XY{X: iv.to, Y: rate[iv]})
				most = max(most, rate[iv])
			}
			l, err := plotter.NewLine(xy)
			if err != nil {
				return err
			}
			l.Color = colors[i]
			l.Width = vg.Points(1.2)
			lines.Add(l)
			lines.Legend.Add(c.Class.Label(), l)
		}
		lines.Y.Min, lines.Y.Max = 0, 1.6*most // room for the legend above the lines
		plots = append(plots, []*gplot.Plot{lines})
		height *= 2
	}
	return writeColumn(w, format, 24*vg.Centimeter, height, plots)
}

// palette returns colours that tell lines apart, colour-blind safe
// (Okabe and Ito's).
func palette() []color.Color {
	return []color.Color{
		color.NRGBA{0x00, 0x00, 0x00, 0xff}, color.NRGBA{0xe6, 0x9f, 0x00, 0xff}, color.NRGBA{0x56, 0xb4, 0xe9, 0xff},
		color.NRGBA{0x00, 0x9e, 0x73, 0xff}, color.NRGBA{0x00, 0x72, 0xb2, 0xff}, color.NRGBA{0xd5, 0x5e, 0x00, 0xff},
	}
}
