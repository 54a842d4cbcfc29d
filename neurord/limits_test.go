package neurord

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// allocated runs fn and returns the bytes it allocated.
func allocated(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestHostileShapes: files that would exhaust memory or time (endless
// nesting, an element flood, a device, a huge or sparse file, a deep
// include chain, a directory) fail at once with a message naming the file,
// the line and the limit, allocating a bounded amount of memory.
func TestHostileShapes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const head = `<SDRun xmlns:xi="http://www.w3.org/2001/XInclude">`
	// A sparse file larger than MaxFileBytes (no disk used).
	sparse := filepath.Join(dir, "sparse.xml")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(MaxFileBytes + 1)
	f.Close()
	// An include chain deeper than MaxIncludeDepth.
	for i := 0; i <= MaxIncludeDepth+1; i++ {
		write(filepath.Base(chainName(i)), `<X xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="`+chainName(i+1)+`"/></X>`)
	}
	cases := []struct {
		name, text string
		want       []string
	}{
		{"nesting", head + strings.Repeat("<a>", 200_000) + strings.Repeat("</a>", 200_000) + "</SDRun>",
			[]string{"hostile.xml:1", "nested more than 100 deep"}},
		{"element flood", head + strings.Repeat("<a/>", MaxElements+1) + "</SDRun>",
			[]string{"hostile.xml:1", "more than 1000000 elements"}},
		{"device", head + "\n" + `<xi:include href="/dev/zero"/></SDRun>`,
			[]string{"hostile.xml:2", "/dev/zero", "not a regular file: it is a device"}},
		{"device as text", head + "\n" + `<xi:include href="/dev/urandom" parse="text"/></SDRun>`,
			[]string{"hostile.xml:2", "/dev/urandom", "not a regular file"}},
		{"directory", head + "\n\n" + `<xi:include href="` + dir + `"/></SDRun>`,
			[]string{"hostile.xml:3", "a directory"}},
		{"huge file", head + "\n" + `<xi:include href="sparse.xml"/></SDRun>`,
			[]string{"hostile.xml:2", "sparse.xml", "more than the limit of 67108864"}},
		{"include chain", head + "\n" + `<xi:include href="` + chainName(0) + `"/></SDRun>`,
			[]string{"includes nested more than 32 deep", "(included from "}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := write("hostile.xml", c.text)
			var err error
			mem := allocated(func() { _, _, err = Load(p) })
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message lacks %q:\n%.600s", w, err)
				}
			}
			// Bounded: linear in the input (about 90 bytes allocated per
			// byte of an element flood, most of it garbage), never more.
			if limit := uint64(100*len(c.text)) + 64<<20; mem > limit {
				t.Errorf("allocated %d MB (limit %d MB)", mem>>20, limit>>20)
			}
		})
	}
}

func chainName(i int) string {
	return "chain" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ".xml"
}
