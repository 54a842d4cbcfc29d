package h5

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func i32s(v ...int32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, uint32(x))
	}
	return b
}

func f64s(v ...float64) []byte {
	b := make([]byte, 0, 8*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

// sample writes a file with every feature the writer has: nested groups
// (more members than one symbol node and one B-tree node hold),
// attributes, contiguous, compound, empty and chunked datasets, and an
// appendable dataset spanning several B-tree levels.
func sample(t testing.TB, path string, rows, groups int) [][]int32 {
	t.Helper()
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	root := w.Root()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(root.SetString("TITLE", "a × test"))
	must(root.SetInt64("seed", -42))
	g, err := root.CreateGroup("model")
	must(err)
	must(g.SetString("empty", ""))
	names := []string{"b", "a", "c"}
	st := String(5, UTF8, NullTerm)
	raw := make([]byte, 3*5)
	for i, s := range names {
		st.EncodeString(raw[i*5:(i+1)*5], s)
	}
	d, err := g.CreateDataset("species", st, []uint64{3}, raw)
	must(err)
	must(d.SetString("UNITS", "text"))
	_, err = g.CreateDataset("matrix", Int(4, true), []uint64{2, 3}, i32s(1, -2, 3, 4, 5, -6))
	must(err)
	_, err = g.CreateDataset("empty", Float64(), []uint64{1, 0}, nil)
	must(err)
	ct := Compound(Field{"x", Float64()}, Field{"label", String(10, ASCII, NullTerm)}, Field{"region", Int(4, true)})
	rec := make([]byte, 0, 2*ct.Size)
	for i := 0; i < 2; i++ {
		r := make([]byte, ct.Size)
		binary.LittleEndian.PutUint64(r, math.Float64bits(float64(i)+0.5))
		ct.Members[1].Type.EncodeString(r[8:18], fmt.Sprintf("el%d", i))
		binary.LittleEndian.PutUint32(r[18:], uint32(i+7))
		rec = append(rec, r...)
	}
	_, err = g.CreateChunked("grid", ct, []uint64{2}, rec, 2, Pipeline{Shuffle: true, Deflate: true, Level: 1})
	must(err)
	many, err := root.CreateGroup("many")
	must(err)
	for i := 0; i < groups; i++ {
		_, err := many.CreateGroup(fmt.Sprintf("trial%d", i))
		must(err)
	}
	out, err := root.CreateGroup("out")
	must(err)
	pop, err := out.CreateAppendable("population", Int(4, true), []uint64{2, 3}, 8, Pipeline{Shuffle: true, Deflate: true, Level: 1})
	must(err)
	must(pop.Dataset().SetString("UNITS", "count"))
	times, err := out.CreateAppendable("times", Float64(), nil, 2048, Pipeline{Shuffle: true, Deflate: true, Level: 1})
	must(err)
	var want [][]int32
	for r := 0; r < rows; r++ {
		row := []int32{int32(r), int32(r * r), -1, 7, int32(r % 5), 1 << 30}
		want = append(want, row)
		must(pop.Append(i32s(row...)))
		must(times.Append(f64s(float64(r) * 0.5)))
	}
	_, err = out.CreateAppendable("never", Int(4, true), []uint64{4}, 256, Pipeline{Shuffle: true, Deflate: true, Level: 1})
	must(err)
	must(w.Close())
	return want
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.h5")
	const rows = 8*64*2 + 13           // three leaf nodes: a two-level chunk B-tree, last chunk partial
	want := sample(t, path, rows, 300) // 300 members: a two-level group B-tree
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	root, err := f.Root()
	if err != nil {
		t.Fatal(err)
	}
	a, err := root.Attr("TITLE")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := a.String(); s != "a × test" || a.Type.Size != len("a × test") || a.Type.CharSet != UTF8 {
		t.Errorf("TITLE = %q (%v)", s, a.Type)
	}
	a, _ = root.Attr("seed")
	if v, err := a.Int64(); v != -42 || err != nil {
		t.Errorf("seed = %d, %v", v, err)
	}
	names, _ := root.Names()
	if !reflect.DeepEqual(names, []string{"many", "model", "out"}) {
		t.Errorf("root members %v", names)
	}
	g, err := root.Group("many")
	if err != nil {
		t.Fatal(err)
	}
	names, err = g.Names()
	if err != nil || len(names) != 300 {
		t.Fatalf("many: %d members, %v", len(names), err)
	}
	if _, err := root.Group("many/trial299"); err != nil {
		t.Error(err)
	}
	d, err := root.Dataset("model/species")
	if err != nil {
		t.Fatal(err)
	}
	ss, err := d.ReadStrings()
	if err != nil || !reflect.DeepEqual(ss, []string{"b", "a", "c"}) {
		t.Errorf("species %q, %v", ss, err)
	}
	d, _ = root.Dataset("model/matrix")
	v, err := d.ReadInt64s()
	if err != nil || !reflect.DeepEqual(v, []int64{1, -2, 3, 4, 5, -6}) || !reflect.DeepEqual(d.Shape, []uint64{2, 3}) {
		t.Errorf("matrix %v %v, %v", v, d.Shape, err)
	}
	d, _ = root.Dataset("model/empty")
	if raw, err := d.ReadRaw(); err != nil || len(raw) != 0 {
		t.Errorf("empty: %d bytes, %v", len(raw), err)
	}
	d, _ = root.Dataset("model/grid")
	raw, err := d.ReadRaw()
	if err != nil {
		t.Fatal(err)
	}
	col, mt, err := d.Type.Column(raw, "label")
	if err != nil || mt.DecodeString(col[1]) != "el1" {
		t.Errorf("grid label: %v", err)
	}
	col, mt, _ = d.Type.Column(raw, "region")
	if r, _ := mt.IntAt(col[1]); r != 8 {
		t.Errorf("grid region %d", r)
	}
	d, err = root.Dataset("out/population")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.Shape, []uint64{rows, 2, 3}) || d.MaxShape[0] != Unlimited || !reflect.DeepEqual(d.Chunk, []uint64{8, 2, 3}) {
		t.Errorf("population shape %v max %v chunk %v", d.Shape, d.MaxShape, d.Chunk)
	}
	v, err = d.ReadInt64s()
	if err != nil {
		t.Fatal(err)
	}
	for r := range want {
		for k := range want[r] {
			if v[r*6+k] != int64(want[r][k]) {
				t.Fatalf("population[%d][%d] = %d, want %d", r, k, v[r*6+k], want[r][k])
			}
		}
	}
	// a slice in the middle crossing chunk and node boundaries
	part, err := d.ReadRows(500, 40)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := d.ReadRaw()
	if !bytes.Equal(part, all[500*24:540*24]) {
		t.Error("ReadRows(500, 40) differs from the full read")
	}
	if _, err := d.ReadRows(rows-1, 2); err == nil {
		t.Error("reading past the end: no error")
	}
	d, _ = root.Dataset("out/times")
	tv, err := d.ReadFloat64s()
	if err != nil || len(tv) != rows || tv[rows-1] != float64(rows-1)*0.5 {
		t.Errorf("times: %d values, %v", len(tv), err)
	}
	d, _ = root.Dataset("out/never")
	if raw, err := d.ReadRaw(); err != nil || len(raw) != 0 || d.Shape[0] != 0 {
		t.Errorf("never: %v %d bytes, %v", d.Shape, len(raw), err)
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.h5")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := w.Root().CreateAppendable("p", Int(4, true), []uint64{3}, 8, Pipeline{Shuffle: true, Deflate: true, Level: 1})
	for i := 0; i < 100; i++ {
		a.Append(i32s(1, 2, 3))
	}
	w.Abort()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("abort left %v", entries)
	}
}

func TestWriterRejects(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(filepath.Join(dir, "x.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	r := w.Root()
	if _, err := r.CreateGroup("a/b"); err == nil {
		t.Error("a name with a slash was accepted")
	}
	if _, err := r.CreateGroup("g"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateGroup("g"); err == nil {
		t.Error("a duplicate name was accepted")
	}
	if _, err := r.CreateDataset("d", Int(4, true), []uint64{3}, i32s(1, 2)); err == nil {
		t.Error("short data was accepted")
	}
	a, _ := r.CreateAppendable("p", Int(4, true), []uint64{3}, 8, Pipeline{})
	if err := a.Append([]byte{1, 2, 3}); err == nil {
		t.Error("a partial row was accepted")
	}
	if err := r.SetString("x", "1"); err != nil {
		t.Fatal(err)
	}
	if err := r.SetString("x", "2"); err == nil {
		t.Error("an attribute set twice was accepted")
	}
	if err := r.SetString("big", string(make([]byte, 70000))); err == nil {
		t.Error("an attribute larger than a header message was accepted")
	}
}
