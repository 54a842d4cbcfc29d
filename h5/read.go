package h5

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"sync"
)

// Header message types.
const (
	msgNil          = 0x00
	msgDataspace    = 0x01
	msgLinkInfo     = 0x02
	msgDatatype     = 0x03
	msgFillOld      = 0x04
	msgFill         = 0x05
	msgLink         = 0x06
	msgLayout       = 0x08
	msgGroupInfo    = 0x0a
	msgFilters      = 0x0b
	msgAttribute    = 0x0c
	msgContinuation = 0x10
	msgSymbolTable  = 0x11
	msgAttrInfo     = 0x15
)

const undef = math.MaxUint64

var signature = []byte{0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'}

// Limits that keep hostile files from exhausting the reader.
const (
	maxContinuations = 4096
	maxMessages      = 1 << 16
	maxBTreeDepth    = 32
	maxGroupDepth    = 64
	// maxDeflateRatio bounds how much stored bytes can expand.
	maxDeflateRatio = 1100
)

// File is an HDF5 file opened for reading. Its methods are safe for
// concurrent use.
type File struct {
	r       io.ReaderAt
	size    int64
	closer  io.Closer
	offSize int // bytes of an address
	lenSize int // bytes of a length
	base    uint64
	rootAdr uint64
	// budget bounds the bytes any one dataset read may produce.
	budget uint64

	mu      sync.Mutex
	headers map[uint64]*objHeader
	cached  uint64 // bytes of the cached headers
}

// Open opens the HDF5 file at path.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, err
	}
	f, err := NewReader(fh, st.Size())
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.closer = fh
	return f, nil
}

// NewReader reads an HDF5 file of size bytes from r.
func NewReader(r io.ReaderAt, size int64) (*File, error) {
	f := &File{r: r, size: size, headers: map[uint64]*objHeader{}}
	f.budget = uint64(size)*maxDeflateRatio + 1<<20
	if err := f.superblock(); err != nil {
		return nil, err
	}
	return f, nil
}

// Close closes the underlying file (if Open opened it).
func (f *File) Close() error {
	if f.closer != nil {
		return f.closer.Close()
	}
	return nil
}

func (f *File) superblock() error {
	// The superblock may sit at 0, 512, 1024, … (a user block before it).
	var at int64 = -1
	for off := int64(0); off+8 <= f.size; off = max(512, off*2) {
		var sig [8]byte
		if _, err := f.r.ReadAt(sig[:], off); err != nil {
			return fmt.Errorf("not an HDF5 file: %w", err)
		}
		if bytes.Equal(sig[:], signature) {
			at = off
			break
		}
		if off > 1<<30 {
			break
		}
	}
	if at < 0 {
		return errors.New("not an HDF5 file (no signature)")
	}
	hdr := make([]byte, 16)
	if _, err := f.r.ReadAt(hdr, at); err != nil {
		return fmt.Errorf("superblock: %w", err)
	}
	version := hdr[8]
	switch version {
	case 0, 1:
		b := make([]byte, 24)
		if _, err := f.r.ReadAt(b, at+8); err != nil {
			return fmt.Errorf("superblock: %w", err)
		}
		f.offSize, f.lenSize = int(b[5]), int(b[6])
		if err := f.checkSizes(); err != nil {
			return err
		}
		p := 16
		if version == 1 {
			p += 4
		}
		rest := make([]byte, 4*f.offSize+2*f.offSize+24)
		if _, err := f.r.ReadAt(rest, at+8+int64(p)); err != nil {
			return fmt.Errorf("superblock: %w", err)
		}
		d := decoder{b: rest, f: f}
		f.base = d.addr()
		d.addr() // free-space info
		d.addr() // end of file
		d.addr() // driver information
		// root group symbol table entry
		d.addr() // link name offset
		f.rootAdr = d.addr()
		if d.err != nil {
			return fmt.Errorf("superblock: %w", d.err)
		}
	case 2, 3:
		b := make([]byte, 4+4*8)
		if _, err := f.r.ReadAt(b[:4], at+8); err != nil {
			return fmt.Errorf("superblock: %w", err)
		}
		f.offSize, f.lenSize = int(b[1]), int(b[2])
		if err := f.checkSizes(); err != nil {
			return err
		}
		rest := make([]byte, 4*f.offSize)
		if _, err := f.r.ReadAt(rest, at+12); err != nil {
			return fmt.Errorf("superblock: %w", err)
		}
		d := decoder{b: rest, f: f}
		f.base = d.addr()
		d.addr() // superblock extension
		d.addr() // end of file
		f.rootAdr = d.addr()
		if d.err != nil {
			return fmt.Errorf("superblock: %w", d.err)
		}
	default:
		return fmt.Errorf("superblock version %d is not supported", version)
	}
	if f.base == undef {
		f.base = 0
	}
	if f.base != uint64(at) && f.base != 0 {
		return fmt.Errorf("superblock base address %d does not match its position %d", f.base, at)
	}
	f.base = uint64(at)
	if f.rootAdr == undef {
		return errors.New("superblock: no root group")
	}
	return nil
}

func (f *File) checkSizes() error {
	ok := func(n int) bool { return n == 2 || n == 4 || n == 8 }
	if !ok(f.offSize) || !ok(f.lenSize) {
		return fmt.Errorf("superblock: sizes of offsets %d and lengths %d are not supported", f.offSize, f.lenSize)
	}
	return nil
}

// readAt reads n bytes at file address addr (relative to the base).
func (f *File) readAt(addr uint64, n uint64) ([]byte, error) {
	if addr == undef {
		return nil, errors.New("undefined address")
	}
	end := f.base + addr + n
	if addr > uint64(f.size) || n > uint64(f.size) || end > uint64(f.size) || end < addr {
		return nil, fmt.Errorf("%d bytes at address %d lie beyond the end of the file (%d bytes): file truncated or corrupt", n, addr, f.size)
	}
	b := make([]byte, n)
	if _, err := f.r.ReadAt(b, int64(f.base+addr)); err != nil && !(err == io.EOF && int64(f.base+addr+n) == f.size) {
		return nil, fmt.Errorf("reading %d bytes at %d: %w", n, addr, err)
	}
	return b, nil
}

// decoder reads little-endian fields and remembers the first error.
type decoder struct {
	b   []byte
	p   int
	f   *File
	err error
}

func (d *decoder) need(n int) bool {
	if d.err != nil {
		return false
	}
	if n < 0 || d.p+n > len(d.b) {
		d.err = errors.New("structure truncated")
		return false
	}
	return true
}

func (d *decoder) u8() uint8 {
	if !d.need(1) {
		return 0
	}
	d.p++
	return d.b[d.p-1]
}

func (d *decoder) u16() uint16 {
	if !d.need(2) {
		return 0
	}
	d.p += 2
	return binary.LittleEndian.Uint16(d.b[d.p-2:])
}

func (d *decoder) u32() uint32 {
	if !d.need(4) {
		return 0
	}
	d.p += 4
	return binary.LittleEndian.Uint32(d.b[d.p-4:])
}

func (d *decoder) u64() uint64 {
	if !d.need(8) {
		return 0
	}
	d.p += 8
	return binary.LittleEndian.Uint64(d.b[d.p-8:])
}

func (d *decoder) uN(n int) uint64 {
	if !d.need(n) {
		return 0
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(d.b[d.p+i])
	}
	d.p += n
	return v
}

// addr reads an address (all ones: undefined).
func (d *decoder) addr() uint64 {
	n := d.f.offSize
	v := d.uN(n)
	if n < 8 && v == (uint64(1)<<(8*n))-1 {
		return undef
	}
	return v
}

func (d *decoder) length() uint64 {
	n := d.f.lenSize
	v := d.uN(n)
	if n < 8 && v == (uint64(1)<<(8*n))-1 {
		return undef
	}
	return v
}

func (d *decoder) bytes(n int) []byte {
	if !d.need(n) {
		return nil
	}
	d.p += n
	return d.b[d.p-n : d.p]
}

func (d *decoder) skip(n int) { d.bytes(n) }

// message is one header message.
type message struct {
	typ   uint16
	flags uint8
	data  []byte
}

type objHeader struct {
	addr  uint64
	msgs  []message
	bytes uint64 // size of its blocks
}

// header reads (and caches) the object header at addr.
func (f *File) header(addr uint64) (*objHeader, error) {
	f.mu.Lock()
	h, ok := f.headers[addr]
	f.mu.Unlock()
	if ok {
		return h, nil
	}
	h, err := f.readHeader(addr)
	if err != nil {
		return nil, fmt.Errorf("object header at %d: %w", addr, err)
	}
	f.mu.Lock()
	// Headers of real files are disjoint: the cache stays within a
	// few times the file size even when a hostile file overlaps them.
	if f.cached+h.bytes <= 4*uint64(f.size)+1<<20 {
		f.headers[addr] = h
		f.cached += h.bytes
	}
	f.mu.Unlock()
	return h, nil
}

type block struct{ addr, size uint64 }

func (f *File) readHeader(addr uint64) (*objHeader, error) {
	h := &objHeader{addr: addr}
	first, err := f.readAt(addr, 16)
	if err != nil {
		return nil, err
	}
	var queue []block
	v2 := bytes.Equal(first[:4], []byte("OHDR"))
	var nmsgs int
	var creationOrder bool
	if v2 {
		if first[4] != 2 {
			return nil, fmt.Errorf("object header version %d unknown", first[4])
		}
		flags := first[5]
		creationOrder = flags&0x04 != 0
		p := uint64(6)
		if flags&0x20 != 0 {
			p += 16
		}
		if flags&0x10 != 0 {
			p += 4
		}
		w := uint64(1) << (flags & 3)
		b, err := f.readAt(addr+p, w)
		if err != nil {
			return nil, err
		}
		var size uint64
		for i := int(w) - 1; i >= 0; i-- {
			size = size<<8 | uint64(b[i])
		}
		queue = append(queue, block{addr + p + w, size})
	} else {
		if first[0] != 1 {
			return nil, fmt.Errorf("object header version %d unknown", first[0])
		}
		nmsgs = int(binary.LittleEndian.Uint16(first[2:]))
		size := uint64(binary.LittleEndian.Uint32(first[8:]))
		queue = append(queue, block{addr + 16, size})
	}
	seen := map[uint64]bool{}
	for k := 0; k < len(queue); k++ {
		if k > maxContinuations {
			return nil, errors.New("too many header continuations")
		}
		bl := queue[k]
		if seen[bl.addr] {
			return nil, errors.New("header continuation loop")
		}
		seen[bl.addr] = true
		if h.bytes += bl.size; h.bytes > uint64(f.size) {
			return nil, errors.New("header continuations larger than the file")
		}
		data, err := f.readAt(bl.addr, bl.size)
		if err != nil {
			return nil, err
		}
		if v2 {
			if k > 0 {
				if len(data) < 8 || !bytes.Equal(data[:4], []byte("OCHK")) {
					return nil, errors.New("bad header continuation signature")
				}
				data = data[4 : len(data)-4]
			}
			// the first block's checksum follows its messages
		}
		d := decoder{b: data, f: f}
		for {
			var m message
			var size int
			if v2 {
				if len(data)-d.p < 4 {
					break
				}
				m.typ = uint16(d.u8())
				size = int(d.u16())
				m.flags = d.u8()
				if creationOrder {
					d.skip(2)
				}
			} else {
				if len(data)-d.p < 8 || len(h.msgs) >= nmsgs {
					break
				}
				m.typ = d.u16()
				size = int(d.u16())
				m.flags = d.u8()
				d.skip(3)
			}
			m.data = d.bytes(size)
			if d.err != nil {
				return nil, fmt.Errorf("message of type %d: %w", m.typ, d.err)
			}
			if len(h.msgs) >= maxMessages {
				return nil, errors.New("too many header messages")
			}
			if m.typ == msgContinuation {
				cd := decoder{b: m.data, f: f}
				a, n := cd.addr(), cd.length()
				if cd.err != nil {
					return nil, fmt.Errorf("continuation message: %w", cd.err)
				}
				queue = append(queue, block{a, n})
			}
			h.msgs = append(h.msgs, m)
		}
	}
	return h, nil
}

func (h *objHeader) find(typ uint16) *message {
	for i := range h.msgs {
		if h.msgs[i].typ == typ {
			return &h.msgs[i]
		}
	}
	return nil
}

func (h *objHeader) isGroup() bool {
	return h.find(msgSymbolTable) != nil || h.find(msgLinkInfo) != nil || h.find(msgLink) != nil || (h.find(msgLayout) == nil && h.find(msgGroupInfo) != nil)
}

// Group is a group of an open file.
type Group struct {
	f    *File
	path string
	hdr  *objHeader
	// depth counts the groups above this one (to stop cycles).
	depth int
}

// Root returns the root group.
func (f *File) Root() (*Group, error) {
	h, err := f.header(f.rootAdr)
	if err != nil {
		return nil, err
	}
	if !h.isGroup() {
		return nil, errors.New("root object is not a group")
	}
	return &Group{f: f, path: "/", hdr: h}, nil
}

// Path is the group's path in the file.
func (g *Group) Path() string { return g.path }

func (g *Group) child(name string) string {
	if g.path == "/" {
		return "/" + name
	}
	return g.path + "/" + name
}

// link is a named hard link.
type link struct {
	name string
	addr uint64
}

// links returns the group's members sorted by name.
func (g *Group) links() ([]link, error) {
	var out []link
	if m := g.hdr.find(msgSymbolTable); m != nil {
		d := decoder{b: m.data, f: g.f}
		bt, heap := d.addr(), d.addr()
		if d.err != nil {
			return nil, fmt.Errorf("%s: symbol table message: %w", g.path, d.err)
		}
		names, err := g.f.localHeap(heap)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", g.path, err)
		}
		seen := map[uint64]bool{}
		if err := g.f.groupBTree(bt, names, &out, seen, 0); err != nil {
			return nil, fmt.Errorf("%s: %w", g.path, err)
		}
	}
	if m := g.hdr.find(msgLinkInfo); m != nil {
		d := decoder{b: m.data, f: g.f}
		d.u8()
		flags := d.u8()
		if flags&1 != 0 {
			d.skip(8)
		}
		heap := d.addr()
		if d.err != nil {
			return nil, fmt.Errorf("%s: link info message: %w", g.path, d.err)
		}
		if heap != undef {
			return nil, fmt.Errorf("%s: dense link storage (groups of more than a few links written by HDF5 ≥ 1.8 with new-style groups) is not supported", g.path)
		}
	}
	for _, m := range g.hdr.msgs {
		if m.typ != msgLink {
			continue
		}
		l, ok, err := decodeLink(g.f, m.data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", g.path, err)
		}
		if ok {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

func decodeLink(f *File, p []byte) (link, bool, error) {
	d := decoder{b: p, f: f}
	if v := d.u8(); v != 1 {
		return link{}, false, fmt.Errorf("link message version %d unknown", v)
	}
	flags := d.u8()
	typ := uint8(0)
	if flags&0x08 != 0 {
		typ = d.u8()
	}
	if flags&0x04 != 0 {
		d.skip(8)
	}
	if flags&0x10 != 0 {
		d.skip(1)
	}
	n := d.uN(1 << (flags & 3))
	if n > uint64(len(p)) {
		return link{}, false, errors.New("link message truncated")
	}
	name := string(d.bytes(int(n)))
	if typ != 0 { // soft or external links are not followed
		return link{}, false, d.err
	}
	a := d.addr()
	if d.err != nil {
		return link{}, false, fmt.Errorf("link message: %w", d.err)
	}
	return link{name, a}, true, nil
}

// localHeap returns the data segment of the local heap at addr.
func (f *File) localHeap(addr uint64) ([]byte, error) {
	b, err := f.readAt(addr, uint64(8+2*f.lenSize+f.offSize))
	if err != nil {
		return nil, fmt.Errorf("local heap: %w", err)
	}
	if string(b[:4]) != "HEAP" {
		return nil, fmt.Errorf("local heap at %d: bad signature", addr)
	}
	d := decoder{b: b[8:], f: f}
	size := d.length()
	d.length()
	data := d.addr()
	if d.err != nil {
		return nil, fmt.Errorf("local heap: %w", d.err)
	}
	seg, err := f.readAt(data, size)
	if err != nil {
		return nil, fmt.Errorf("local heap data: %w", err)
	}
	return seg, nil
}

func heapString(heap []byte, off uint64) (string, error) {
	if off >= uint64(len(heap)) {
		return "", fmt.Errorf("name offset %d beyond the local heap (%d bytes)", off, len(heap))
	}
	s := heap[off:]
	i := indexByte(s, 0)
	if i < 0 {
		return "", errors.New("unterminated name in local heap")
	}
	return string(s[:i]), nil
}

// btreeNode is a version 1 B-tree node.
type btreeNode struct {
	typ, level uint8
	keys       [][]byte
	children   []uint64
}

// btreeNode reads the node at addr with keys of keySize bytes.
func (f *File) btreeNode(addr uint64, keySize int) (*btreeNode, error) {
	hdr, err := f.readAt(addr, uint64(8+2*f.offSize))
	if err != nil {
		return nil, fmt.Errorf("B-tree node: %w", err)
	}
	if string(hdr[:4]) != "TREE" {
		return nil, fmt.Errorf("B-tree node at %d: bad signature", addr)
	}
	n := &btreeNode{typ: hdr[4], level: hdr[5]}
	entries := int(binary.LittleEndian.Uint16(hdr[6:]))
	body, err := f.readAt(addr+uint64(len(hdr)), uint64(entries*(keySize+f.offSize)+keySize))
	if err != nil {
		return nil, fmt.Errorf("B-tree node: %w", err)
	}
	d := decoder{b: body, f: f}
	for i := 0; i < entries; i++ {
		n.keys = append(n.keys, d.bytes(keySize))
		n.children = append(n.children, d.addr())
	}
	n.keys = append(n.keys, d.bytes(keySize))
	if d.err != nil {
		return nil, fmt.Errorf("B-tree node: %w", d.err)
	}
	return n, nil
}

func (f *File) groupBTree(addr uint64, heap []byte, out *[]link, seen map[uint64]bool, depth int) error {
	if depth > maxBTreeDepth {
		return errors.New("group B-tree too deep")
	}
	if seen[addr] {
		return errors.New("group B-tree loop")
	}
	seen[addr] = true
	n, err := f.btreeNode(addr, f.lenSize)
	if err != nil {
		return err
	}
	if n.typ != 0 {
		return fmt.Errorf("B-tree node at %d: type %d, want a group node", addr, n.typ)
	}
	for _, c := range n.children {
		if n.level > 0 {
			if err := f.groupBTree(c, heap, out, seen, depth+1); err != nil {
				return err
			}
			continue
		}
		if seen[c] {
			return errors.New("symbol table node listed twice")
		}
		seen[c] = true
		if err := f.symbolNode(c, heap, out); err != nil {
			return err
		}
	}
	return nil
}

func (f *File) symbolNode(addr uint64, heap []byte, out *[]link) error {
	hdr, err := f.readAt(addr, 8)
	if err != nil {
		return fmt.Errorf("symbol table node: %w", err)
	}
	if string(hdr[:4]) != "SNOD" {
		return fmt.Errorf("symbol table node at %d: bad signature", addr)
	}
	n := int(binary.LittleEndian.Uint16(hdr[6:]))
	entry := 2*f.offSize + 24
	body, err := f.readAt(addr+8, uint64(n*entry))
	if err != nil {
		return fmt.Errorf("symbol table node: %w", err)
	}
	d := decoder{b: body, f: f}
	for i := 0; i < n; i++ {
		off := d.uN(f.offSize)
		a := d.addr()
		d.skip(24)
		if d.err != nil {
			return fmt.Errorf("symbol table node: %w", d.err)
		}
		name, err := heapString(heap, off)
		if err != nil {
			return err
		}
		*out = append(*out, link{name, a})
	}
	return nil
}

// Names returns the names of the group's members, sorted.
func (g *Group) Names() ([]string, error) {
	ls, err := g.links()
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.name
	}
	return out, nil
}

func (g *Group) lookup(name string) (*objHeader, error) {
	ls, err := g.links()
	if err != nil {
		return nil, err
	}
	for _, l := range ls {
		if l.name == name {
			return g.f.header(l.addr)
		}
	}
	return nil, fmt.Errorf("%s: no member %q", g.path, name)
}

// IsGroup reports whether member name is a group (false also when it
// does not exist).
func (g *Group) IsGroup(name string) bool {
	h, err := g.lookup(name)
	return err == nil && h.isGroup()
}

// Has reports whether the group has a member of that name.
func (g *Group) Has(name string) bool {
	ls, err := g.links()
	if err != nil {
		return false
	}
	for _, l := range ls {
		if l.name == name {
			return true
		}
	}
	return false
}

// Group opens the subgroup at the relative path name ("a/b").
func (g *Group) Group(name string) (*Group, error) {
	cur := g
	for _, part := range strings.Split(strings.Trim(name, "/"), "/") {
		if cur.depth >= maxGroupDepth {
			return nil, fmt.Errorf("%s: groups nested deeper than %d", cur.path, maxGroupDepth)
		}
		h, err := cur.lookup(part)
		if err != nil {
			return nil, err
		}
		if !h.isGroup() {
			return nil, fmt.Errorf("%s is not a group", cur.child(part))
		}
		cur = &Group{f: g.f, path: cur.child(part), hdr: h, depth: cur.depth + 1}
	}
	return cur, nil
}

// Dataset opens the dataset at the relative path name ("a/b/c").
func (g *Group) Dataset(name string) (*Dataset, error) {
	dir, base := "", strings.Trim(name, "/")
	if i := strings.LastIndexByte(base, '/'); i >= 0 {
		dir, base = base[:i], base[i+1:]
	}
	parent := g
	if dir != "" {
		var err error
		if parent, err = g.Group(dir); err != nil {
			return nil, err
		}
	}
	h, err := parent.lookup(base)
	if err != nil {
		return nil, err
	}
	return newDataset(g.f, parent.child(base), h)
}

// Attrs returns the attributes of the group.
func (g *Group) Attrs() ([]*Attribute, error) { return attrs(g.f, g.path, g.hdr) }

// Attr returns the named attribute of the group.
func (g *Group) Attr(name string) (*Attribute, error) { return attr(g.f, g.path, g.hdr, name) }
