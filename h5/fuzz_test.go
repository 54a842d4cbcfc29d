package h5

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// walk reads everything reachable in f, as a reader of unknown files
// would: it must return errors, never panic.
func walk(f *File) {
	root, err := f.Root()
	if err != nil {
		return
	}
	seen := map[uint64]bool{}
	var visit func(g *Group, depth int)
	visit = func(g *Group, depth int) {
		if depth > 16 || seen[g.hdr.addr] {
			return
		}
		seen[g.hdr.addr] = true
		if as, err := g.Attrs(); err == nil {
			for _, a := range as {
				a.Strings()
				a.Int64()
			}
		}
		names, err := g.Names()
		if err != nil {
			return
		}
		for _, n := range names {
			if g.IsGroup(n) {
				if sub, err := g.Group(n); err == nil {
					visit(sub, depth+1)
				}
				continue
			}
			d, err := g.Dataset(n)
			if err != nil {
				continue
			}
			d.Attrs()
			d.ReadStrings()
			d.ReadInt64s()
			d.ReadFloat64s()
			if len(d.Shape) > 0 && d.Shape[0] > 1 {
				d.ReadRows(1, 1)
			}
		}
	}
	visit(root, 0)
}

func FuzzRead(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "seed.h5")
	sample(f, path, 20, 10)
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add(b[:200])
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		walk(r)
	})
}

// TestTruncated reads every prefix of a valid file: each must give
// errors, not panics, and the full file must read completely.
func TestTruncated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.h5")
	sample(t, path, 40, 10)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(b); n += 1 + n/64 {
		r, err := NewReader(bytes.NewReader(b[:n]), int64(n))
		if err != nil {
			continue
		}
		walk(r)
	}
}

// TestCorrupted flips bytes of a valid file one at a time.
func TestCorrupted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.h5")
	sample(t, path, 40, 10)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := make([]byte, len(b))
	for i := 0; i < len(b); i += 13 {
		for _, v := range []byte{0xff, 0x00, 0x80} {
			copy(c, b)
			c[i] = v
			r, err := NewReader(bytes.NewReader(c), int64(len(c)))
			if err != nil {
				continue
			}
			walk(r)
		}
	}
}
