package traj

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestHostileChunks: chunks written to make a reader allocate far more
// than the file holds — a frame count a writer never puts in a chunk
// over a set of a million columns (8 GB of values, which the reader once
// allocated before it looked for them), and a payload of 8 kB that
// decompresses to 48 MB — are refused, the second allocating no more
// than the chunk could hold.
func TestHostileChunks(t *testing.T) {
	dir := t.TempDir()
	craft := func(name string, nv, ns, frames int, raw []byte) string {
		src := filepath.Join(dir, name+".src")
		w, err := Create(src, testHeader(nv, ns, Counts))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		n := int(uint32(b[12]) | uint32(b[13])<<8 | uint32(b[14])<<16 | uint32(b[15])<<24)
		enc, _ := zstd.NewWriter(nil)
		payload := enc.EncodeAll(raw, nil)
		out := append(b[:20+n:20+n], chunkHeader(0, frames, len(payload), 0, 1, payload)...)
		out = append(out, payload...)
		path := filepath.Join(dir, name+".traj")
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	read := func(path string) (error, uint64) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		r, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		err = r.Frames(0, -1, 2, func(float64, []int64, []float64) error { return nil })
		runtime.ReadMemStats(&after)
		return err, after.TotalAlloc - before.TotalAlloc
	}
	for _, c := range []struct {
		name          string
		nv, ns, frame int
		raw           []byte
		want          string
	}{
		{"frames", 1000, 1000, 1000, make([]byte, 8*1000), "holds 1000 frames of 1000000 values"},
		{"values", 1000, 1000, 256, make([]byte, 8*256), "holds 256 frames of 1000000 values"},
		{"bomb", 2, 3, 100, make([]byte, 48<<20), "decodes to more than"},
	} {
		path := craft(c.name, c.nv, c.ns, c.frame, c.raw)
		err, alloc := read(path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v (want an error saying %q)", c.name, err, c.want)
		}
		if alloc > 16<<20 {
			t.Errorf("%s: reading allocated %d MB", c.name, alloc>>20)
		}
	}
}
