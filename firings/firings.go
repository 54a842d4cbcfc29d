// Package firings owns the table `spinerd run --firings` writes: for each
// interval of a run, how often each channel class (a reaction direction,
// a diffusing species between two regions, an injection, in one region)
// fired, one CSV row per class that fired, the busiest first. It writes
// intervals and reads the table back (for plots), and knows nothing of
// engines or flags.
package firings

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Header is the table's first line.
var Header = []string{"from_ms", "to_ms", "kind", "name", "region", "to_region", "single_events", "leap_firings", "crossed", "share_of_single_events"}

// Class is a channel class: Kind "reaction", "diffusion" or "injection";
// Name the reaction's id (" (reverse)" for its reverse direction), the
// diffusing species or the injected species "@" its site; Region where
// it fires (diffusion: the region left); ToRegion the region a diffusing
// molecule enters ("" otherwise).
type Class struct{ Kind, Name, Region, ToRegion string }

// Label is the class in a few words: "diffusion PKC dendrite→neck".
func (c Class) Label() string {
	s := c.Kind + " " + c.Name + " " + c.Region
	if c.ToRegion != "" {
		s += "→" + c.ToRegion
	}
	return s
}

// Row is one line of the table: a class's firings in [FromMs, ToMs]:
// single events, firings carried by leaps or fixed steps, molecules
// moved across domain cuts, and its share of the interval's single
// events.
type Row struct {
	FromMs, ToMs          float64
	Class                 Class
	Single, Leap, Crossed int64
	Share                 float64
}

// Writer writes the table.
type Writer struct{ w *csv.Writer }

// NewWriter writes the header to w.
func NewWriter(w io.Writer) *Writer {
	cw := csv.NewWriter(w)
	cw.Write(Header)
	return &Writer{cw}
}

// Interval writes the rows of [fromMs, toMs]: the firings of classes[k]
// in it are single[k], leap[k] and crossed[k]; classes that fired none
// have no row, and the rows go busiest first (single events, then the
// others; ties in class order).
func (w *Writer) Interval(fromMs, toMs float64, classes []Class, single, leap, crossed []int64) {
	var total int64
	var rows []int
	for k := range classes {
		if single[k] != 0 || leap[k] != 0 || crossed[k] != 0 {
			rows = append(rows, k)
		}
		total += single[k]
	}
	slices.SortStableFunc(rows, func(a, b int) int {
		if c := cmp.Compare(single[b], single[a]); c != 0 {
			return c
		}
		return cmp.Compare(leap[b]+crossed[b], leap[a]+crossed[a])
	})
	from, to := strconv.FormatFloat(fromMs, 'g', 10, 64), strconv.FormatFloat(toMs, 'g', 10, 64)
	for _, k := range rows {
		c := classes[k]
		share := 0.0
		if total > 0 {
			share = float64(single[k]) / float64(total)
		}
		w.w.Write([]string{from, to, c.Kind, c.Name, c.Region, c.ToRegion, strconv.FormatInt(single[k], 10),
			strconv.FormatInt(leap[k], 10), strconv.FormatInt(crossed[k], 10), strconv.FormatFloat(share, 'f', 6, 64)})
	}
}

// Flush writes what is buffered and returns the first error of any write.
func (w *Writer) Flush() error {
	w.w.Flush()
	return w.w.Error()
}

// Total is a class's single events summed over a table's intervals.
type Total struct {
	Class  Class
	Single int64
}

// Busiest sums each class's single events over rows and returns the n
// classes with the most, busiest first (ties in the order the classes
// first appear), and the single events of all classes.
func Busiest(rows []Row, n int) (top []Total, all int64) {
	at := map[Class]int{}
	var totals []Total
	for _, r := range rows {
		k, ok := at[r.Class]
		if !ok {
			k = len(totals)
			at[r.Class] = k
			totals = append(totals, Total{Class: r.Class})
		}
		totals[k].Single += r.Single
		all += r.Single
	}
	slices.SortStableFunc(totals, func(a, b Total) int { return cmp.Compare(b.Single, a.Single) })
	return totals[:min(n, len(totals))], all
}

// IsTable reports whether the first line of a file, head, is the table's
// header.
func IsTable(head []byte) bool {
	line, _, _ := strings.Cut(string(head), "\n")
	return strings.TrimRight(line, "\r") == strings.Join(Header, ",")
}

// MaxRows and MaxBytes bound what Read accepts, and so its memory (about
// 100 bytes a row): a spine model's run has a few hundred classes that
// fire, so a thousand intervals stay well below them.
const (
	MaxRows  = 1_000_000
	MaxBytes = 256 << 20
)

// Read reads a table; name is the file's name for errors, which give its
// line, column and value.
func Read(r io.Reader, name string) ([]Row, error) {
	return readAtMost(r, name, MaxBytes, MaxRows)
}

// readAtMost is Read with the bounds given.
func readAtMost(r io.Reader, name string, maxBytes int64, maxRows int) ([]Row, error) {
	lr := &io.LimitedReader{R: r, N: maxBytes + 1}
	rows, err := read(lr, name, maxRows)
	if lr.N <= 0 {
		return nil, fmt.Errorf("%s: larger than %d bytes: not a table spinerd run --firings wrote", name, maxBytes)
	}
	return rows, err
}

func read(r io.Reader, name string, maxRows int) ([]Row, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	rec, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: line 1: empty, not a table of spinerd run --firings", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: line 1: %w", name, err)
	}
	if !slices.Equal(rec, Header) {
		return nil, fmt.Errorf("%s: line 1: not a table of spinerd run --firings (header %q)", name, strings.Join(rec, ","))
	}
	cr.FieldsPerRecord = len(Header)
	var rows []Row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(rows) >= maxRows {
			return nil, fmt.Errorf("%s: line %d: more than %d rows", name, line, maxRows)
		}
		row := Row{Class: Class{rec[2], rec[3], rec[4], rec[5]}}
		bad := func(col int, what string) error {
			return fmt.Errorf("%s: line %d, column %s: %q is not %s", name, line, Header[col], rec[col], what)
		}
		for _, f := range []struct {
			col int
			p   *float64
		}{{0, &row.FromMs}, {1, &row.ToMs}, {9, &row.Share}} {
			col, p := f.col, f.p
			v, err := strconv.ParseFloat(rec[col], 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return nil, bad(col, "a finite number ≥ 0")
			}
			*p = v
		}
		for _, f := range []struct {
			col int
			p   *int64
		}{{6, &row.Single}, {7, &row.Leap}, {8, &row.Crossed}} {
			col, p := f.col, f.p
			v, err := strconv.ParseInt(rec[col], 10, 64)
			if err != nil || v < 0 {
				return nil, bad(col, "a count ≥ 0")
			}
			*p = v
		}
		if !(row.ToMs > row.FromMs) {
			return nil, bad(1, fmt.Sprintf("after from_ms %g", row.FromMs))
		}
		rows = append(rows, row)
	}
}
