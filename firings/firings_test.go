package firings

import (
	"bytes"
	"strings"
	"testing"
)

// TestRoundTrip: intervals written are read back as rows, busiest first,
// without the classes that fired none, with their shares.
func TestRoundTrip(t *testing.T) {
	classes := []Class{{"reaction", "bind", "head", ""}, {"reaction", "bind (reverse)", "head", ""},
		{"diffusion", "Ca, free", "head", "neck"}, {"injection", "Ca@sa1[0]", "PSD", ""}}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.Interval(0, 10, classes, []int64{5, 0, 15, 0}, []int64{0, 0, 7, 0}, []int64{0, 0, 0, 3})
	w.Interval(10, 12.5, classes, []int64{1, 1, 0, 2}, []int64{0, 0, 0, 0}, []int64{0, 0, 0, 0})
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if !IsTable(buf.Bytes()) || IsTable([]byte("time_ms,wall_s\n")) {
		t.Error("IsTable")
	}
	rows, err := Read(bytes.NewReader(buf.Bytes()), "f.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{0, 10, classes[2], 15, 7, 0, 0.75},
		{0, 10, classes[0], 5, 0, 0, 0.25},
		{0, 10, classes[3], 0, 0, 3, 0},
		{10, 12.5, classes[3], 2, 0, 0, 0.5},
		{10, 12.5, classes[0], 1, 0, 0, 0.25},
		{10, 12.5, classes[1], 1, 0, 0, 0.25},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d:\n%s", len(rows), len(want), buf.String())
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d: %+v, want %+v", i, rows[i], want[i])
		}
	}
	top, all := Busiest(rows, 2)
	if want := []Total{{classes[2], 15}, {classes[0], 6}}; all != 24 || len(top) != 2 || top[0] != want[0] || top[1] != want[1] {
		t.Errorf("Busiest: %v of %d, want %v of 24", top, all, want)
	}
	if got := classes[2].Label(); got != "diffusion Ca, free head→neck" {
		t.Errorf("label %q", got)
	}
}

// TestReadBadInput: a table that is not one spinerd wrote is refused with
// its line, column and value.
func TestReadBadInput(t *testing.T) {
	head := strings.Join(Header, ",") + "\n"
	for _, c := range []struct{ text, want string }{
		{"", "line 1"},
		{"time_ms,wall_s\n1,2\n", "not a table"},
		{head + "0,10,reaction,bind,head,,5,0,0\n", "line 2"},
		{head + "0,10,reaction,bind,head,,x,0,0,1\n", `line 2, column single_events: "x"`},
		{head + "0,10,reaction,bind,head,,5,0,0,1\n0,NaN,reaction,bind,head,,5,0,0,1\n", `line 3, column to_ms: "NaN"`},
		{head + "0,10,reaction,bind,head,,-5,0,0,1\n", `column single_events: "-5"`},
		{head + "10,10,reaction,bind,head,,5,0,0,1\n", `column to_ms: "10" is not after from_ms 10`},
		{head + "0,10,reaction,\"bind,head,,5,0,0,1\n", "f.csv"},
	} {
		_, err := Read(strings.NewReader(c.text), "f.csv")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "f.csv") {
			t.Errorf("%q: error %v, want it to name f.csv and say %q", c.text, err, c.want)
		}
	}
	// the bounds, small here: a file too large (one long line, or many
	// rows) is refused before it is all in memory
	row := "0,10,reaction,bind,head,,5,0,0,1\n"
	for _, c := range []struct{ text, want string }{
		{head + "0,10,reaction," + strings.Repeat("x", 5000) + ",head,,5,0,0,1\n", "larger than 4096 bytes"},
		{head + strings.Repeat(row, 100), "line 12: more than 10 rows"},
		{head + strings.Repeat(row, 10), ""},
	} {
		rows, err := readAtMost(strings.NewReader(c.text), "f.csv", 4096, 10)
		switch {
		case c.want == "" && (err != nil || len(rows) != 10):
			t.Errorf("10 rows within the bounds: %d rows, error %v", len(rows), err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%d bytes: error %v, want %q", len(c.text), err, c.want)
		}
	}
}
