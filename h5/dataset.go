package h5

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"unicode/utf8"
)

// Unlimited is the maximum size of a dimension that can grow without
// bound.
const Unlimited = math.MaxUint64

// Filter is one stage of a dataset's filter pipeline.
type Filter struct {
	ID         uint16
	Name       string
	Optional   bool
	ClientData []uint32
}

// Filter ids.
const (
	FilterDeflate    = 1
	FilterShuffle    = 2
	FilterFletcher32 = 3
)

// Layout is how a dataset's elements are stored.
type Layout uint8

// Layouts.
const (
	Compact    Layout = 0
	Contiguous Layout = 1
	Chunked    Layout = 2
)

// Dataset is a dataset of an open file.
type Dataset struct {
	f    *File
	path string
	hdr  *objHeader

	Type     Datatype
	Shape    []uint64
	MaxShape []uint64
	Layout   Layout
	// Chunk is the chunk shape (Chunked only).
	Chunk   []uint64
	Filters []Filter

	addr    uint64 // contiguous data or chunk B-tree
	size    uint64 // contiguous size
	compact []byte
}

// Path is the dataset's path in the file.
func (d *Dataset) Path() string { return d.path }

// Attrs returns the attributes of the dataset.
func (d *Dataset) Attrs() ([]*Attribute, error) { return attrs(d.f, d.path, d.hdr) }

// Attr returns the named attribute of the dataset.
func (d *Dataset) Attr(name string) (*Attribute, error) { return attr(d.f, d.path, d.hdr, name) }

// NumElements returns the number of elements (the product of Shape).
func (d *Dataset) NumElements() uint64 {
	n, _ := product(d.Shape)
	return n
}

func product(dims []uint64) (uint64, bool) {
	n := uint64(1)
	for _, x := range dims {
		hi, lo := bits.Mul64(n, x)
		if hi != 0 {
			return 0, false
		}
		n = lo
	}
	return n, true
}

func newDataset(f *File, path string, h *objHeader) (*Dataset, error) {
	d := &Dataset{f: f, path: path, hdr: h}
	if h.isGroup() {
		return nil, fmt.Errorf("%s is a group, not a dataset", path)
	}
	m := h.find(msgDatatype)
	if m == nil {
		return nil, fmt.Errorf("%s: no datatype message", path)
	}
	if m.flags&0x02 != 0 {
		return nil, fmt.Errorf("%s: committed (shared) datatypes are not supported", path)
	}
	t, _, err := decodeDatatype(m.data, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	d.Type = t
	m = h.find(msgDataspace)
	if m == nil {
		return nil, fmt.Errorf("%s: no dataspace message", path)
	}
	if d.Shape, d.MaxShape, err = decodeDataspace(f, m.data); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if m = h.find(msgFilters); m != nil {
		if d.Filters, err = decodeFilters(m.data); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	m = h.find(msgLayout)
	if m == nil {
		return nil, fmt.Errorf("%s: no layout message", path)
	}
	if err := d.decodeLayout(m.data); err != nil {
		return nil, fmt.Errorf("%s: layout: %w", path, err)
	}
	return d, nil
}

// decodeDataspace returns the current and maximum dimensions (a scalar
// has none; a null dataspace one of size 0).
func decodeDataspace(f *File, p []byte) (dims, maxDims []uint64, err error) {
	d := decoder{b: p, f: f}
	version := d.u8()
	rank := int(d.u8())
	flags := d.u8()
	null := false
	switch version {
	case 1:
		d.skip(5)
	case 2:
		null = d.u8() == 2
	default:
		return nil, nil, fmt.Errorf("dataspace version %d unknown", version)
	}
	if rank > 32 {
		return nil, nil, fmt.Errorf("dataspace of rank %d", rank)
	}
	for i := 0; i < rank; i++ {
		dims = append(dims, d.length())
	}
	if flags&1 != 0 {
		for i := 0; i < rank; i++ {
			maxDims = append(maxDims, d.length())
		}
	} else {
		maxDims = append([]uint64(nil), dims...)
	}
	if d.err != nil {
		return nil, nil, fmt.Errorf("dataspace: %w", d.err)
	}
	if null {
		return []uint64{0}, []uint64{0}, nil
	}
	for i, x := range dims {
		if x == undef {
			return nil, nil, errors.New("dataspace: undefined dimension")
		}
		if maxDims[i] != Unlimited && maxDims[i] < x {
			return nil, nil, fmt.Errorf("dataspace: dimension %d of size %d exceeds its maximum %d", i, x, maxDims[i])
		}
	}
	if _, ok := product(dims); !ok {
		return nil, nil, errors.New("dataspace: too many elements")
	}
	return dims, maxDims, nil
}

func decodeFilters(p []byte) ([]Filter, error) {
	d := decoder{b: p}
	version := d.u8()
	n := int(d.u8())
	if version == 1 {
		d.skip(6)
	} else if version != 2 {
		return nil, fmt.Errorf("filter pipeline version %d unknown", version)
	}
	var out []Filter
	for i := 0; i < n; i++ {
		var fl Filter
		fl.ID = d.u16()
		nameLen := 0
		if version == 1 || fl.ID >= 256 {
			nameLen = int(d.u16())
		}
		fl.Optional = d.u16()&1 != 0
		ncd := int(d.u16())
		if nameLen > 0 {
			name := d.bytes(nameLen)
			if i := indexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			fl.Name = string(name)
		}
		if ncd > len(p) {
			return nil, errors.New("filter pipeline truncated")
		}
		for k := 0; k < ncd; k++ {
			fl.ClientData = append(fl.ClientData, d.u32())
		}
		if version == 1 && ncd%2 == 1 {
			d.skip(4)
		}
		if d.err != nil {
			return nil, fmt.Errorf("filter pipeline: %w", d.err)
		}
		out = append(out, fl)
	}
	return out, nil
}

func (d *Dataset) decodeLayout(p []byte) error {
	dec := decoder{b: p, f: d.f}
	version := dec.u8()
	if version != 3 && version != 4 {
		return fmt.Errorf("layout message version %d is not supported", version)
	}
	d.Layout = Layout(dec.u8())
	switch d.Layout {
	case Compact:
		n := int(dec.u16())
		d.compact = dec.bytes(n)
	case Contiguous:
		d.addr = dec.addr()
		d.size = dec.length()
	case Chunked:
		if version == 4 {
			return errors.New("version 4 chunk indexes are not supported")
		}
		rank := int(dec.u8())
		d.addr = dec.addr()
		if rank != len(d.Shape)+1 {
			return fmt.Errorf("chunk rank %d for a dataset of rank %d", rank-1, len(d.Shape))
		}
		for i := 0; i < rank; i++ {
			d.Chunk = append(d.Chunk, uint64(dec.u32()))
		}
		if dec.err == nil && d.Chunk[rank-1] != uint64(d.Type.Size) {
			return fmt.Errorf("chunk element size %d for a %d-byte type", d.Chunk[rank-1], d.Type.Size)
		}
		d.Chunk = d.Chunk[:rank-1]
		for _, c := range d.Chunk {
			if c == 0 {
				return errors.New("chunk dimension 0")
			}
		}
	default:
		return fmt.Errorf("layout class %d unknown", d.Layout)
	}
	if dec.err != nil {
		return dec.err
	}
	return nil
}

// nbytes returns the bytes of n elements, checked against the read budget.
func (d *Dataset) nbytes(n uint64) (uint64, error) {
	hi, lo := bits.Mul64(n, uint64(d.Type.Size))
	if hi != 0 || lo > d.f.budget || lo > math.MaxInt {
		return 0, fmt.Errorf("%s: %d elements of %d bytes are more than this %d-byte file can hold", d.path, n, d.Type.Size, d.f.size)
	}
	return lo, nil
}

// ReadRaw returns all elements, row-major, in the file's byte order.
func (d *Dataset) ReadRaw() ([]byte, error) {
	if len(d.Shape) == 0 {
		return d.readRows(0, 1, true)
	}
	return d.readRows(0, d.Shape[0], false)
}

// ReadRows returns rows [start, start+n) of the first dimension (all of
// every other dimension), row-major.
func (d *Dataset) ReadRows(start, n uint64) ([]byte, error) {
	if len(d.Shape) == 0 {
		return nil, fmt.Errorf("%s is a scalar", d.path)
	}
	if start > d.Shape[0] || n > d.Shape[0]-start {
		return nil, fmt.Errorf("%s: rows %d..%d out of range (%d rows)", d.path, start, start+n, d.Shape[0])
	}
	return d.readRows(start, n, false)
}

func (d *Dataset) readRows(start, n uint64, scalar bool) ([]byte, error) {
	rowElems := uint64(1)
	if !scalar {
		var ok bool
		if rowElems, ok = product(d.Shape[1:]); !ok {
			return nil, fmt.Errorf("%s: too many elements", d.path)
		}
	}
	total, ok := product([]uint64{rowElems, n})
	if !ok {
		return nil, fmt.Errorf("%s: too many elements", d.path)
	}
	nb, err := d.nbytes(total)
	if err != nil {
		return nil, err
	}
	rowBytes := rowElems * uint64(d.Type.Size)
	if hi, _ := bits.Mul64(start+n, rowBytes); hi != 0 || rowElems > math.MaxInt64/uint64(d.Type.Size) {
		return nil, fmt.Errorf("%s: too many elements", d.path)
	}
	switch d.Layout {
	case Compact:
		if uint64(len(d.compact)) < (start+n)*rowBytes {
			return nil, fmt.Errorf("%s: compact data truncated", d.path)
		}
		return append([]byte(nil), d.compact[start*rowBytes:(start+n)*rowBytes]...), nil
	case Contiguous:
		if d.addr == undef || nb == 0 {
			return make([]byte, nb), nil // never written: fill value 0
		}
		full, _ := product([]uint64{rowElems, firstDim(d.Shape, scalar), uint64(d.Type.Size)})
		if d.size < full {
			return nil, fmt.Errorf("%s: contiguous storage of %d bytes for %d bytes of data", d.path, d.size, full)
		}
		b, err := d.f.readAt(d.addr+start*rowBytes, nb)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.path, err)
		}
		return b, nil
	}
	out := make([]byte, nb)
	if nb == 0 {
		return out, nil
	}
	if err := d.readChunks(out, start, n); err != nil {
		return nil, fmt.Errorf("%s: %w", d.path, err)
	}
	return out, nil
}

func firstDim(shape []uint64, scalar bool) uint64 {
	if scalar {
		return 1
	}
	return shape[0]
}

// chunkRef is one chunk of a chunked dataset.
type chunkRef struct {
	offset []uint64 // element offset of the chunk's first element
	addr   uint64
	size   uint32 // stored (filtered) bytes
	mask   uint32 // filters skipped
}

// chunks lists the chunks whose first-dimension range meets [lo, hi).
func (d *Dataset) chunks(lo, hi uint64) ([]chunkRef, error) {
	var out []chunkRef
	if d.addr == undef {
		return nil, nil
	}
	rank := len(d.Shape)
	keySize := 8 + 8*(rank+1)
	seen := map[uint64]bool{}
	var walk func(addr uint64, depth int) error
	walk = func(addr uint64, depth int) error {
		if depth > maxBTreeDepth {
			return errors.New("chunk B-tree too deep")
		}
		if seen[addr] {
			return errors.New("chunk B-tree loop")
		}
		seen[addr] = true
		n, err := d.f.btreeNode(addr, keySize)
		if err != nil {
			return err
		}
		if n.typ != 1 {
			return fmt.Errorf("B-tree node at %d: type %d, want a chunk node", addr, n.typ)
		}
		for i, c := range n.children {
			k := decodeChunkKey(n.keys[i], rank)
			if n.level > 0 {
				// Subtree i holds the chunks from key i (its first chunk)
				// up to, not including, key i+1 (the next subtree's first).
				if k.offset[0] >= hi {
					continue
				}
				if i+1 < len(n.children) {
					next := decodeChunkKey(n.keys[i+1], rank)
					if next.offset[0]+d.Chunk[0] <= lo {
						continue
					}
				}
				if err := walk(c, depth+1); err != nil {
					return err
				}
				continue
			}
			if k.offset[0] >= hi || k.offset[0]+d.Chunk[0] <= lo {
				continue
			}
			k.addr = c
			out = append(out, k)
			if uint64(len(out)) > uint64(d.f.size) {
				return errors.New("more chunks than the file can hold")
			}
		}
		return nil
	}
	if err := walk(d.addr, 0); err != nil {
		return nil, err
	}
	return out, nil
}

func decodeChunkKey(k []byte, rank int) chunkRef {
	d := decoder{b: k}
	c := chunkRef{size: d.u32(), mask: d.u32()}
	for i := 0; i < rank; i++ {
		c.offset = append(c.offset, d.u64())
	}
	return c
}

// readChunks fills out (rows [start, start+n)) from the chunks.
func (d *Dataset) readChunks(out []byte, start, n uint64) error {
	refs, err := d.chunks(start, start+n)
	if err != nil {
		return err
	}
	rank := len(d.Shape)
	es := uint64(d.Type.Size)
	chunkElems, ok := product(d.Chunk)
	if !ok {
		return errors.New("chunk too large")
	}
	chunkBytes, err := d.nbytes(chunkElems)
	if err != nil {
		return err
	}
	// region of the output: rows [start, start+n), full other dims
	outShape := append([]uint64{n}, d.Shape[1:]...)
	var budget uint64
	for _, c := range refs {
		for i := 0; i < rank; i++ {
			if c.offset[i]%d.Chunk[i] != 0 {
				return fmt.Errorf("chunk offset %v not aligned to the chunk shape %v", c.offset, d.Chunk)
			}
		}
		if budget += chunkBytes; budget > d.f.budget {
			return errors.New("chunks expand beyond what the file can hold")
		}
		raw, err := d.f.readAt(c.addr, uint64(c.size))
		if err != nil {
			return fmt.Errorf("chunk at %v: %w", c.offset, err)
		}
		data, err := d.unfilter(raw, c.mask, chunkBytes)
		if err != nil {
			return fmt.Errorf("chunk at %v: %w", c.offset, err)
		}
		if uint64(len(data)) != chunkBytes {
			return fmt.Errorf("chunk at %v holds %d bytes, want %d", c.offset, len(data), chunkBytes)
		}
		copyChunk(out, outShape, start, data, d.Chunk, c.offset, es)
	}
	return nil
}

// copyChunk copies the part of a chunk (shape cs, element offset co)
// that lies inside the output region (shape os, first-dimension offset
// start) into out.
func copyChunk(out []byte, os []uint64, start uint64, chunk []byte, cs, co []uint64, es uint64) {
	rank := len(os)
	// intersection in output coordinates
	lo := make([]uint64, rank)
	hi := make([]uint64, rank)
	for i := 0; i < rank; i++ {
		a, b := co[i], co[i]+cs[i]
		olo, ohi := uint64(0), os[i]
		if i == 0 {
			olo, ohi = start, start+os[0]
		}
		lo[i], hi[i] = max(a, olo), min(b, ohi)
		if lo[i] >= hi[i] {
			return
		}
	}
	// iterate over all rows of the last dimension inside the intersection
	idx := append([]uint64(nil), lo...)
	runElems := hi[rank-1] - lo[rank-1]
	for {
		var oOff, cOff uint64
		for i := 0; i < rank; i++ {
			o := idx[i]
			if i == 0 {
				o -= start
			}
			oOff = oOff*os[i] + o
			cOff = cOff*cs[i] + (idx[i] - co[i])
		}
		copy(out[oOff*es:(oOff+runElems)*es], chunk[cOff*es:(cOff+runElems)*es])
		k := rank - 2
		for ; k >= 0; k-- {
			idx[k]++
			if idx[k] < hi[k] {
				break
			}
			idx[k] = lo[k]
		}
		if k < 0 {
			return
		}
	}
}

// StoredBytes returns the bytes the dataset's elements occupy in the
// file (after compression, for chunked datasets).
func (d *Dataset) StoredBytes() (uint64, error) {
	switch d.Layout {
	case Compact:
		return uint64(len(d.compact)), nil
	case Contiguous:
		if d.addr == undef {
			return 0, nil
		}
		return d.size, nil
	}
	refs, err := d.chunks(0, math.MaxUint64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", d.path, err)
	}
	var n uint64
	for _, c := range refs {
		n += uint64(c.size)
	}
	return n, nil
}

// ReadInt64s returns every element of an integer dataset.
func (d *Dataset) ReadInt64s() ([]int64, error) {
	raw, err := d.ReadRaw()
	if err != nil {
		return nil, err
	}
	return d.Type.Int64s(raw, d.path)
}

// Int64s decodes raw integer elements.
func (t *Datatype) Int64s(raw []byte, what string) ([]int64, error) {
	if t.Class != ClassInt {
		return nil, fmt.Errorf("%s holds %s, not integers", what, t)
	}
	out := make([]int64, len(raw)/t.Size)
	for i := range out {
		v, err := t.IntAt(raw[i*t.Size:])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out[i] = v
	}
	return out, nil
}

// ReadFloat64s returns every element of a numeric dataset as float64.
func (d *Dataset) ReadFloat64s() ([]float64, error) {
	raw, err := d.ReadRaw()
	if err != nil {
		return nil, err
	}
	return d.Type.Float64s(raw, d.path)
}

// Float64s decodes raw numeric elements.
func (t *Datatype) Float64s(raw []byte, what string) ([]float64, error) {
	out := make([]float64, len(raw)/t.Size)
	for i := range out {
		v, err := t.FloatAt(raw[i*t.Size:])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out[i] = v
	}
	return out, nil
}

// ReadStrings returns every element of a fixed-length string dataset.
func (d *Dataset) ReadStrings() ([]string, error) {
	if d.Type.Class != ClassString {
		return nil, fmt.Errorf("%s holds %s, not fixed-length strings", d.path, d.Type)
	}
	raw, err := d.ReadRaw()
	if err != nil {
		return nil, err
	}
	return d.Type.Strings(raw, d.path)
}

// Strings decodes raw fixed-length string elements.
func (t *Datatype) Strings(raw []byte, what string) ([]string, error) {
	if t.Class != ClassString {
		return nil, fmt.Errorf("%s holds %s, not fixed-length strings", what, t)
	}
	out := make([]string, len(raw)/t.Size)
	for i := range out {
		out[i] = t.DecodeString(raw[i*t.Size : (i+1)*t.Size])
		if t.CharSet == UTF8 && !utf8.ValidString(out[i]) {
			return nil, fmt.Errorf("%s: element %d is not valid UTF-8", what, i)
		}
	}
	return out, nil
}

// Column extracts member name of every element of compound raw data as a
// raw byte slice per element.
func (t *Datatype) Column(raw []byte, name string) ([][]byte, *Datatype, error) {
	if t.Class != ClassCompound {
		return nil, nil, fmt.Errorf("%s is not a compound type", t)
	}
	m, ok := t.Member(name)
	if !ok {
		return nil, nil, fmt.Errorf("compound type has no member %q", name)
	}
	n := len(raw) / t.Size
	out := make([][]byte, n)
	for i := range out {
		out[i] = raw[i*t.Size+m.Offset : i*t.Size+m.Offset+m.Type.Size]
	}
	return out, &m.Type, nil
}
