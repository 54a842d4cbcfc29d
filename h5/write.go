package h5

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spinerd/spinerd/internal/atomicfile"
)

// Writer creates an HDF5 file. It is not safe for concurrent use.
//
// Raw data is written as it comes (contiguous datasets at creation,
// chunks of an Appendable when they fill); groups, headers and indexes
// are written by Close, which then renames the temporary file to its
// final name. Abort (or a failed Close) removes the temporary file.
type Writer struct {
	t    *atomicfile.Target
	w    *bufio.Writer
	off  uint64 // end of the file: where the next bytes go
	root *WGroup
	apps []*Appendable
	err  error
	done bool
}

// Sizes of the format written: 8-byte addresses and lengths, the
// default B-tree widths of libhdf5.
const (
	offSize      = 8
	superSize    = 96          // version 0 superblock with the root entry
	groupLeafK   = 4           // symbol table node: up to 2K entries
	groupInternK = 16          // group B-tree node: up to 2K children
	chunkK       = 32          // chunk B-tree node: up to 2K children
	entrySize    = 40          // symbol table entry
	heapFreeNull = 1           // libhdf5's "no free block" in a local heap
	maxMessage   = 0xffff &^ 7 // a version 1 header message's size is 16 bits
)

// Create starts a new HDF5 file that Close will give the name path.
// A path that exists and is not a regular file (atomicfile.Target.Direct:
// /dev/null) is written in place; one that cannot seek (a pipe) is
// refused, as Close rewrites the file's first bytes.
func Create(path string) (*Writer, error) {
	t, err := atomicfile.OpenTarget(path)
	if err != nil {
		return nil, err
	}
	if t.Direct() {
		if _, err := t.F.Seek(0, io.SeekCurrent); err != nil {
			t.Discard()
			return nil, fmt.Errorf("cannot write %s: an HDF5 file is written out of order, and this is not a file one can seek in (a pipe?)", path)
		}
	}
	w := &Writer{t: t, w: bufio.NewWriterSize(t.F, 1<<16)}
	w.root = &WGroup{w: w, name: "/"}
	w.write(make([]byte, superSize)) // rewritten by Close
	if w.err != nil {
		w.Abort()
		return nil, w.err
	}
	return w, nil
}

// Root returns the root group.
func (w *Writer) Root() *WGroup { return w.root }

// write appends b at the end of the file and returns its address.
func (w *Writer) write(b []byte) uint64 {
	at := w.off
	if w.err != nil {
		return at
	}
	if _, err := w.w.Write(b); err != nil {
		w.err = fmt.Errorf("writing %s: %w", w.t.Path, err)
	}
	w.off += uint64(len(b))
	return at
}

// align pads the file to a multiple of 8 bytes.
func (w *Writer) align() {
	if r := w.off % 8; r != 0 {
		w.write(make([]byte, 8-r))
	}
}

func (w *Writer) check() error {
	if w.done {
		return errors.New("h5: writer is closed")
	}
	return w.err
}

// node is a member of a group: *WGroup or *WDataset.
type node interface {
	headerAddr() uint64
	scratch() (btree, heap uint64, isGroup bool)
}

// WGroup is a group being written.
type WGroup struct {
	w       *Writer
	name    string
	members map[string]node
	attrs   []attribute
	hdr     uint64
	btree   uint64
	heap    uint64
}

type attribute struct {
	name string
	typ  Datatype
	raw  []byte
}

func (g *WGroup) headerAddr() uint64                { return g.hdr }
func (g *WGroup) scratch() (uint64, uint64, bool)   { return g.btree, g.heap, true }
func (d *WDataset) headerAddr() uint64              { return d.hdr }
func (d *WDataset) scratch() (uint64, uint64, bool) { return 0, 0, false }

func checkName(name string) error {
	if name == "" || name == "." || strings.ContainsAny(name, "/\x00") {
		return fmt.Errorf("h5: invalid member name %q", name)
	}
	return nil
}

func (g *WGroup) add(name string, n node) error {
	if err := g.w.check(); err != nil {
		return err
	}
	if err := checkName(name); err != nil {
		return err
	}
	if g.members == nil {
		g.members = map[string]node{}
	}
	if _, dup := g.members[name]; dup {
		return fmt.Errorf("h5: %s already has a member %q", g.name, name)
	}
	g.members[name] = n
	return nil
}

// CreateGroup adds a subgroup.
func (g *WGroup) CreateGroup(name string) (*WGroup, error) {
	sub := &WGroup{w: g.w, name: name}
	if err := g.add(name, sub); err != nil {
		return nil, err
	}
	return sub, nil
}

func addAttr(w *Writer, list *[]attribute, name string, t Datatype, raw []byte) error {
	if err := w.check(); err != nil {
		return err
	}
	if name == "" || strings.IndexByte(name, 0) >= 0 {
		return fmt.Errorf("h5: invalid attribute name %q", name)
	}
	if err := t.validate(); err != nil {
		return fmt.Errorf("h5: attribute %q: %w", name, err)
	}
	if len(raw) != t.Size {
		return fmt.Errorf("h5: attribute %q: %d bytes for a %d-byte type", name, len(raw), t.Size)
	}
	if n := 8 + (len(name)+8)/8*8 + (len(t.encode(nil))+7)/8*8 + 24 + len(raw); n > maxMessage {
		return fmt.Errorf("h5: attribute %q: %d bytes do not fit an object header message (%d at most)", name, n, maxMessage)
	}
	for _, a := range *list {
		if a.name == name {
			return fmt.Errorf("h5: attribute %q set twice", name)
		}
	}
	*list = append(*list, attribute{name, t, append([]byte(nil), raw...)})
	return nil
}

// stringAttr returns the type and bytes of a string attribute as
// NeuroRD writes them: UTF-8, NUL-terminated type exactly as long as the
// text (one byte for the empty string).
func stringAttr(s string) (Datatype, []byte) {
	n := max(len(s), 1)
	t := String(n, UTF8, NullTerm)
	raw := make([]byte, n)
	copy(raw, s)
	return t, raw
}

// SetString sets a one-element UTF-8 string attribute.
func (g *WGroup) SetString(name, value string) error {
	t, raw := stringAttr(value)
	return addAttr(g.w, &g.attrs, name, t, raw)
}

// SetInt64 sets a one-element 64-bit integer attribute.
func (g *WGroup) SetInt64(name string, v int64) error {
	return addAttr(g.w, &g.attrs, name, Int(8, true), binary.LittleEndian.AppendUint64(nil, uint64(v)))
}

// Pipeline is a chunked dataset's filter pipeline: shuffle, then
// deflate (zlib) at Level when Deflate is set.
type Pipeline struct {
	Shuffle bool
	Deflate bool
	Level   int
}

func (p Pipeline) filters(elemSize int) []Filter {
	var out []Filter
	if p.Shuffle {
		out = append(out, Filter{ID: FilterShuffle, Name: "shuffle", Optional: true, ClientData: []uint32{uint32(elemSize)}})
	}
	if p.Deflate {
		out = append(out, Filter{ID: FilterDeflate, Name: "deflate", Optional: true, ClientData: []uint32{uint32(p.Level)}})
	}
	return out
}

// WDataset is a dataset being written.
type WDataset struct {
	w       *Writer
	name    string
	typ     Datatype
	shape   []uint64
	max     []uint64
	attrs   []attribute
	layout  Layout
	addr    uint64 // contiguous data
	size    uint64
	chunk   []uint64
	filters []Filter
	chunks  []writtenChunk
	hdr     uint64
}

type writtenChunk struct {
	row  uint64 // first row of the chunk
	addr uint64
	size uint32
}

// SetString sets a one-element UTF-8 string attribute of the dataset.
func (d *WDataset) SetString(name, value string) error {
	t, raw := stringAttr(value)
	return addAttr(d.w, &d.attrs, name, t, raw)
}

// SetInt64 sets a one-element 64-bit integer attribute of the dataset.
func (d *WDataset) SetInt64(name string, v int64) error {
	return addAttr(d.w, &d.attrs, name, Int(8, true), binary.LittleEndian.AppendUint64(nil, uint64(v)))
}

func checkShape(t Datatype, shape []uint64) (uint64, error) {
	if err := t.validate(); err != nil {
		return 0, err
	}
	if len(t.encode(nil)) > maxMessage {
		return 0, fmt.Errorf("type description longer than an object header message")
	}
	if len(shape) == 0 || len(shape) > 32 {
		return 0, fmt.Errorf("rank %d not supported (1 to 32)", len(shape))
	}
	n, ok := product(append([]uint64{uint64(t.Size)}, shape...))
	if !ok || n > 1<<50 {
		return 0, fmt.Errorf("shape %v too large", shape)
	}
	return n, nil
}

// CreateDataset writes a fixed-size dataset of shape with the row-major
// elements raw, stored contiguously.
func (g *WGroup) CreateDataset(name string, t Datatype, shape []uint64, raw []byte) (*WDataset, error) {
	nb, err := checkShape(t, shape)
	if err != nil {
		return nil, fmt.Errorf("h5: dataset %q: %w", name, err)
	}
	if uint64(len(raw)) != nb {
		return nil, fmt.Errorf("h5: dataset %q: %d bytes of data for shape %v of %d-byte elements", name, len(raw), shape, t.Size)
	}
	d := &WDataset{w: g.w, name: name, typ: t, shape: append([]uint64(nil), shape...), max: append([]uint64(nil), shape...), layout: Contiguous, addr: undef}
	if err := g.add(name, d); err != nil {
		return nil, err
	}
	if nb > 0 {
		d.addr = g.w.write(raw)
		d.size = nb
		g.w.align()
	}
	return d, g.w.err
}

// CreateChunked writes a fixed-size dataset of shape stored as chunks
// of chunkRows rows through the pipeline (NeuroRD stores its grid this
// way, as one chunk).
func (g *WGroup) CreateChunked(name string, t Datatype, shape []uint64, raw []byte, chunkRows uint64, p Pipeline) (*WDataset, error) {
	nb, err := checkShape(t, shape)
	if err != nil {
		return nil, fmt.Errorf("h5: dataset %q: %w", name, err)
	}
	if uint64(len(raw)) != nb {
		return nil, fmt.Errorf("h5: dataset %q: %d bytes of data for shape %v of %d-byte elements", name, len(raw), shape, t.Size)
	}
	a, err := g.appendable(name, t, shape[1:], chunkRows, p, shape[0])
	if err != nil {
		return nil, err
	}
	if err := a.Append(raw); err != nil {
		return nil, err
	}
	return a.ds, nil
}

// Appendable is a chunked dataset whose first dimension grows as rows
// are appended (maximum size unlimited).
type Appendable struct {
	ds       *WDataset
	rowBytes uint64
	rows     uint64 // rows appended
	buf      []byte // the chunk being filled
	fill     uint64 // rows in buf
	comp     *compressor
	limit    uint64 // fixed number of rows, or Unlimited
}

// CreateAppendable adds a chunked dataset of rows of shape rowShape,
// with an unlimited first dimension, chunks of chunkRows rows and the
// filter pipeline p.
func (g *WGroup) CreateAppendable(name string, t Datatype, rowShape []uint64, chunkRows uint64, p Pipeline) (*Appendable, error) {
	return g.appendable(name, t, rowShape, chunkRows, p, Unlimited)
}

func (g *WGroup) appendable(name string, t Datatype, rowShape []uint64, chunkRows uint64, p Pipeline, limit uint64) (*Appendable, error) {
	shape := append([]uint64{chunkRows}, rowShape...)
	nb, err := checkShape(t, shape)
	if err != nil {
		return nil, fmt.Errorf("h5: dataset %q: %w", name, err)
	}
	if chunkRows == 0 || nb == 0 || nb > 1<<32-1 {
		return nil, fmt.Errorf("h5: dataset %q: chunk %v of %d-byte elements is empty or larger than 4 GiB", name, shape, t.Size)
	}
	for _, x := range rowShape {
		if x > 1<<32-1 {
			return nil, fmt.Errorf("h5: dataset %q: dimension %d too large for a chunk", name, x)
		}
	}
	if p.Deflate && (p.Level < 0 || p.Level > 9) {
		return nil, fmt.Errorf("h5: dataset %q: deflate level %d not in 0..9", name, p.Level)
	}
	mx := append([]uint64{limit}, rowShape...)
	d := &WDataset{w: g.w, name: name, typ: t, shape: append([]uint64{0}, rowShape...), max: mx, layout: Chunked,
		chunk: append([]uint64{chunkRows}, rowShape...), filters: p.filters(t.Size)}
	if err := g.add(name, d); err != nil {
		return nil, err
	}
	level := -1
	if p.Deflate {
		level = p.Level
	}
	a := &Appendable{ds: d, rowBytes: nb / chunkRows, buf: make([]byte, nb), comp: newCompressor(p.Shuffle, level, t.Size), limit: limit}
	g.w.apps = append(g.w.apps, a)
	return a, nil
}

// Dataset returns the dataset, to set its attributes.
func (a *Appendable) Dataset() *WDataset { return a.ds }

// Rows returns the number of rows appended so far.
func (a *Appendable) Rows() uint64 { return a.rows }

// RowBytes returns the size of one row in bytes.
func (a *Appendable) RowBytes() int { return int(a.rowBytes) }

// Append adds whole rows (row-major, little-endian elements).
func (a *Appendable) Append(rows []byte) error {
	w := a.ds.w
	if err := w.check(); err != nil {
		return err
	}
	if uint64(len(rows))%a.rowBytes != 0 {
		return fmt.Errorf("h5: %s: %d bytes are not whole rows of %d bytes", a.ds.name, len(rows), a.rowBytes)
	}
	n := uint64(len(rows)) / a.rowBytes
	if a.limit != Unlimited && a.rows+n > a.limit {
		return fmt.Errorf("h5: %s: more than %d rows", a.ds.name, a.limit)
	}
	chunkRows := a.ds.chunk[0]
	for len(rows) > 0 {
		k := min(chunkRows-a.fill, uint64(len(rows))/a.rowBytes)
		copy(a.buf[a.fill*a.rowBytes:], rows[:k*a.rowBytes])
		rows = rows[k*a.rowBytes:]
		a.fill += k
		a.rows += k
		if a.fill == chunkRows {
			if err := a.flush(); err != nil {
				return err
			}
		}
	}
	a.ds.shape[0] = a.rows
	return w.err
}

// flush writes the chunk being filled (padded with zeros).
func (a *Appendable) flush() error {
	if a.fill == 0 {
		return nil
	}
	clear(a.buf[a.fill*a.rowBytes:])
	data, err := a.comp.apply(a.buf)
	if err != nil {
		return fmt.Errorf("h5: %s: compressing a chunk: %w", a.ds.name, err)
	}
	w := a.ds.w
	row := a.rows - a.fill
	addr := w.write(data)
	a.ds.chunks = append(a.ds.chunks, writtenChunk{row: row, addr: addr, size: uint32(len(data))})
	a.fill = 0
	return w.err
}

// Abort removes the temporary file; nothing is left at the final path.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.t.Discard()
}

// Close writes the metadata, completes the file and renames it to its
// final name. After an error nothing is left at the final path.
func (w *Writer) Close() error {
	if w.done {
		return errors.New("h5: writer already closed")
	}
	if w.err != nil {
		w.Abort()
		return w.err
	}
	for _, a := range w.apps {
		if err := a.flush(); err != nil {
			w.Abort()
			return err
		}
	}
	w.align()
	if err := w.finishGroup(w.root); err != nil {
		w.Abort()
		return err
	}
	sb := w.superblock()
	if w.err == nil {
		if err := w.w.Flush(); err != nil {
			w.err = fmt.Errorf("writing %s: %w", w.t.Path, err)
		}
	}
	if w.err == nil {
		if _, err := w.t.F.WriteAt(sb, 0); err != nil {
			w.err = fmt.Errorf("writing %s: %w", w.t.Path, err)
		}
	}
	if w.err == nil {
		w.err = w.t.Finish()
	}
	if w.err != nil {
		w.Abort()
		return w.err
	}
	w.done = true
	return w.t.Publish()
}

func (w *Writer) superblock() []byte {
	b := make([]byte, 0, superSize)
	b = append(b, signature...)
	b = append(b, 0, 0, 0, 0, 0, offSize, offSize, 0)
	b = binary.LittleEndian.AppendUint16(b, groupLeafK)
	b = binary.LittleEndian.AppendUint16(b, groupInternK)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint64(b, 0)     // base address
	b = binary.LittleEndian.AppendUint64(b, undef) // free space
	b = binary.LittleEndian.AppendUint64(b, w.off) // end of file
	b = binary.LittleEndian.AppendUint64(b, undef) // driver information
	return appendEntry(b, 0, w.root)
}

// appendEntry appends a symbol table entry for n with name at heap
// offset nameOff.
func appendEntry(b []byte, nameOff uint64, n node) []byte {
	b = binary.LittleEndian.AppendUint64(b, nameOff)
	b = binary.LittleEndian.AppendUint64(b, n.headerAddr())
	bt, heap, isGroup := n.scratch()
	if isGroup {
		b = binary.LittleEndian.AppendUint32(b, 1)
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint64(b, bt)
		b = binary.LittleEndian.AppendUint64(b, heap)
		return b
	}
	return append(b, make([]byte, 24)...)
}

// finishGroup writes the members of g, then its name heap, symbol
// table and object header.
func (w *Writer) finishGroup(g *WGroup) error {
	names := make([]string, 0, len(g.members))
	for name := range g.members {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		switch m := g.members[name].(type) {
		case *WGroup:
			if err := w.finishGroup(m); err != nil {
				return err
			}
		case *WDataset:
			if err := w.finishDataset(m); err != nil {
				return err
			}
		}
	}
	// local heap: "" at 0, then the names
	heap := make([]byte, 8)
	offs := make([]uint64, len(names))
	for i, name := range names {
		offs[i] = uint64(len(heap))
		heap = append(heap, name...)
		heap = append(heap, 0)
		heap = pad8(heap, len(heap))
	}
	hb := []byte("HEAP")
	hb = append(hb, 0, 0, 0, 0)
	hb = binary.LittleEndian.AppendUint64(hb, uint64(len(heap)))
	hb = binary.LittleEndian.AppendUint64(hb, heapFreeNull)
	hb = binary.LittleEndian.AppendUint64(hb, w.off+32)
	g.heap = w.write(hb)
	w.write(heap)
	// symbol table nodes, indexed by a B-tree whose keys are heap
	// offsets of names: left of a node its lower bound, after each child
	// the last name in it
	u64 := func(x uint64) []byte { return binary.LittleEndian.AppendUint64(nil, x) }
	var leaves []btreeEntry
	for start := 0; start < len(names); start += 2 * groupLeafK {
		end := min(start+2*groupLeafK, len(names))
		sn := []byte("SNOD")
		sn = append(sn, 1, 0)
		sn = binary.LittleEndian.AppendUint16(sn, uint16(end-start))
		for i := start; i < end; i++ {
			sn = appendEntry(sn, offs[i], g.members[names[i]])
		}
		sn = append(sn, make([]byte, (2*groupLeafK-(end-start))*entrySize)...)
		left := uint64(0)
		if start > 0 {
			left = offs[start-1]
		}
		leaves = append(leaves, btreeEntry{addr: w.write(sn), left: u64(left), right: u64(offs[end-1])})
	}
	g.btree = w.writeBTree(0, groupInternK, 8, u64(0), leaves, false)
	// object header: symbol table message, attributes
	var msgs []headerMsg
	st := binary.LittleEndian.AppendUint64(nil, g.btree)
	st = binary.LittleEndian.AppendUint64(st, g.heap)
	msgs = append(msgs, headerMsg{typ: msgSymbolTable, body: st})
	msgs = appendAttrMsgs(msgs, g.attrs)
	g.hdr = w.header(msgs)
	return w.err
}

type headerMsg struct {
	typ   uint16
	flags uint8
	body  []byte
}

func appendAttrMsgs(msgs []headerMsg, attrs []attribute) []headerMsg {
	for _, a := range attrs {
		b := []byte{1, 0}
		tb := a.typ.encode(nil)
		sb := dataspaceMsg([]uint64{1}, []uint64{1})
		b = binary.LittleEndian.AppendUint16(b, uint16(len(a.name)+1))
		b = binary.LittleEndian.AppendUint16(b, uint16(len(tb)))
		b = binary.LittleEndian.AppendUint16(b, uint16(len(sb)))
		b = append(b, a.name...)
		b = append(b, 0)
		b = pad8(b, len(a.name)+1)
		b = append(b, tb...)
		b = pad8(b, len(tb))
		b = append(b, sb...)
		b = pad8(b, len(sb))
		b = append(b, a.raw...)
		msgs = append(msgs, headerMsg{typ: msgAttribute, body: b})
	}
	return msgs
}

// dataspaceMsg encodes a version 1 dataspace with maximum dimensions.
func dataspaceMsg(dims, maxDims []uint64) []byte {
	b := []byte{1, byte(len(dims)), 1, 0, 0, 0, 0, 0}
	for _, x := range dims {
		b = binary.LittleEndian.AppendUint64(b, x)
	}
	for _, x := range maxDims {
		b = binary.LittleEndian.AppendUint64(b, x)
	}
	return b
}

// header writes a version 1 object header holding msgs and returns its
// address.
func (w *Writer) header(msgs []headerMsg) uint64 {
	var body []byte
	for _, m := range msgs {
		n := (len(m.body) + 7) / 8 * 8
		if n > maxMessage && w.err == nil {
			w.err = fmt.Errorf("h5: header message of %d bytes", n) // prevented by the checks above
		}
		body = binary.LittleEndian.AppendUint16(body, m.typ)
		body = binary.LittleEndian.AppendUint16(body, uint16(n))
		body = append(body, m.flags, 0, 0, 0)
		body = append(body, m.body...)
		body = pad8(body, len(m.body))
	}
	h := []byte{1, 0}
	h = binary.LittleEndian.AppendUint16(h, uint16(len(msgs)))
	h = binary.LittleEndian.AppendUint32(h, 1)
	h = binary.LittleEndian.AppendUint32(h, uint32(len(body)))
	h = append(h, 0, 0, 0, 0)
	w.align()
	at := w.write(append(h, body...))
	w.align()
	return at
}

func (w *Writer) finishDataset(d *WDataset) error {
	var msgs []headerMsg
	msgs = append(msgs, headerMsg{typ: msgDataspace, body: dataspaceMsg(d.shape, d.max)})
	msgs = append(msgs, headerMsg{typ: msgDatatype, flags: 1, body: d.typ.encode(nil)})
	alloc := byte(2) // late
	if d.layout == Chunked {
		alloc = 3 // incremental
	}
	msgs = append(msgs, headerMsg{typ: msgFill, flags: 1, body: []byte{2, alloc, 2, 1, 0, 0, 0, 0}})
	if len(d.filters) > 0 {
		b := []byte{1, byte(len(d.filters)), 0, 0, 0, 0, 0, 0}
		for _, f := range d.filters {
			name := append([]byte(f.Name), 0)
			nl := (len(name) + 7) / 8 * 8
			b = binary.LittleEndian.AppendUint16(b, f.ID)
			b = binary.LittleEndian.AppendUint16(b, uint16(nl))
			flags := uint16(0)
			if f.Optional {
				flags = 1
			}
			b = binary.LittleEndian.AppendUint16(b, flags)
			b = binary.LittleEndian.AppendUint16(b, uint16(len(f.ClientData)))
			b = append(b, name...)
			b = pad8(b, len(name))
			for _, c := range f.ClientData {
				b = binary.LittleEndian.AppendUint32(b, c)
			}
			if len(f.ClientData)%2 == 1 {
				b = append(b, 0, 0, 0, 0)
			}
		}
		msgs = append(msgs, headerMsg{typ: msgFilters, flags: 1, body: b})
	}
	var lay []byte
	switch d.layout {
	case Contiguous:
		lay = []byte{3, 1}
		lay = binary.LittleEndian.AppendUint64(lay, d.addr)
		lay = binary.LittleEndian.AppendUint64(lay, d.size)
	case Chunked:
		bt := w.chunkBTree(d)
		lay = []byte{3, 2, byte(len(d.chunk) + 1)}
		lay = binary.LittleEndian.AppendUint64(lay, bt)
		for _, c := range d.chunk {
			lay = binary.LittleEndian.AppendUint32(lay, uint32(c))
		}
		lay = binary.LittleEndian.AppendUint32(lay, uint32(d.typ.Size))
	}
	msgs = append(msgs, headerMsg{typ: msgLayout, body: lay})
	msgs = appendAttrMsgs(msgs, d.attrs)
	d.hdr = w.header(msgs)
	return w.err
}

// chunkBTree writes the version 1 B-tree indexing d's chunks and
// returns its root address. Keys follow libhdf5: the key left of a
// chunk is (stored size, filter mask, element offsets…, 0); the last key
// of a node is (0, 0, offset of its last chunk's first row, then the
// chunk shape and the element size), which sorts after that chunk.
func (w *Writer) chunkBTree(d *WDataset) uint64 {
	rank := len(d.chunk)
	keySize := 8 + 8*(rank+1)
	key := func(b []byte, c writtenChunk) []byte {
		b = binary.LittleEndian.AppendUint32(b, c.size)
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint64(b, c.row)
		for i := 1; i <= rank; i++ {
			b = binary.LittleEndian.AppendUint64(b, 0)
		}
		return b
	}
	rightKey := func(b []byte, c writtenChunk) []byte {
		b = binary.LittleEndian.AppendUint64(b, 0)
		b = binary.LittleEndian.AppendUint64(b, c.row)
		for i := 1; i < rank; i++ {
			b = binary.LittleEndian.AppendUint64(b, d.chunk[i])
		}
		return binary.LittleEndian.AppendUint64(b, uint64(d.typ.Size))
	}
	var leaves []btreeEntry
	for _, c := range d.chunks {
		leaves = append(leaves, btreeEntry{addr: c.addr, left: key(nil, c), right: rightKey(nil, c)})
	}
	return w.writeBTree(1, chunkK, keySize, make([]byte, keySize), leaves, true)
}

// btreeEntry is a child of a version 1 B-tree node (a node of the level
// below, or a symbol node or chunk at the bottom) with its keys: the
// one before its first entry and the one after its last.
type btreeEntry struct {
	addr        uint64
	left, right []byte
}

// writeBTree writes a version 1 B-tree of node type typ (0 groups, 1
// chunks) over leaves, in key order, with at most 2k children per node,
// bottom level first, and returns the root's address. Between two
// children a node holds the left key of the second (innerLeft, as
// libhdf5's chunk index does) or the right key of the first (groups). An
// empty tree is one node holding only the key empty.
func (w *Writer) writeBTree(typ byte, k, keySize int, empty []byte, leaves []btreeEntry, innerLeft bool) uint64 {
	nodeSize := 24 + (2*k+1)*keySize + 2*k*offSize
	level := leaves
	for depth := 0; ; depth++ {
		var up []btreeEntry
		nnodes := max(1, (len(level)+2*k-1)/(2*k))
		w.align()
		base := w.off
		for n := 0; n < nnodes; n++ {
			kids := level[min(n*2*k, len(level)):min((n+1)*2*k, len(level))]
			b := []byte("TREE")
			b = append(b, typ, byte(depth))
			b = binary.LittleEndian.AppendUint16(b, uint16(len(kids)))
			lsib, rsib := uint64(undef), uint64(undef)
			if n > 0 {
				lsib = base + uint64((n-1)*nodeSize)
			}
			if n+1 < nnodes {
				rsib = base + uint64((n+1)*nodeSize)
			}
			b = binary.LittleEndian.AppendUint64(b, lsib)
			b = binary.LittleEndian.AppendUint64(b, rsib)
			e := btreeEntry{left: empty, right: empty}
			if len(kids) > 0 {
				e.left, e.right = kids[0].left, kids[len(kids)-1].right
			}
			b = append(b, e.left...)
			for i, c := range kids {
				b = binary.LittleEndian.AppendUint64(b, c.addr)
				switch {
				case i+1 == len(kids):
					b = append(b, c.right...)
				case innerLeft:
					b = append(b, kids[i+1].left...)
				default:
					b = append(b, c.right...)
				}
			}
			b = append(b, make([]byte, nodeSize-len(b))...)
			e.addr = w.write(b)
			up = append(up, e)
		}
		if len(up) == 1 {
			return up[0].addr
		}
		level = up
	}
}
