package lazytable

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

type rec struct {
	c, a   float64
	r0, r1 int32
	k      [2]uint8
}

// residentKB returns the resident set of this process (kB), or -1 where
// /proc does not tell.
func residentKB() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return kb
		}
	}
	return -1
}

// TestSparse: a 512 MiB table written at 64 places, 1 MiB apart, keeps
// its values, reads zero elsewhere, and (where tables are mappings) adds
// far less than its size to the resident set.
func TestSparse(t *testing.T) {
	const n = 16 << 20 // 32-byte records: 512 MiB
	before := residentKB()
	tab, release := Make[rec](n)
	if len(tab) != n {
		t.Fatalf("len %d, want %d", len(tab), n)
	}
	for k := range 64 {
		tab[k*(n/64)] = rec{c: float64(k), r1: int32(k)}
	}
	for k := range 64 {
		if r := tab[k*(n/64)]; r.c != float64(k) || r.r1 != int32(k) {
			t.Fatalf("entry %d holds %+v", k, r)
		}
		if r := tab[k*(n/64)+1]; r != (rec{}) {
			t.Fatalf("an entry never written holds %+v", r)
		}
	}
	after := residentKB()
	t.Logf("resident %d -> %d kB", before, after)
	if runtime.GOOS == "linux" && before > 0 && after-before > 64<<10 {
		t.Errorf("a 512 MiB table written at 64 places made the process %d kB larger", after-before)
	}
	release()
	if runtime.GOOS == "linux" && residentKB() > after {
		t.Errorf("release did not return the table's pages")
	}
}

// TestSmallAndPointers: small tables come from the heap, zeroed; a type
// holding pointers is refused.
func TestSmallAndPointers(t *testing.T) {
	small, release := Make[int32](10)
	small[9] = 1
	release()
	empty, release := Make[float64](0)
	release()
	if len(small) != 10 || len(empty) != 0 {
		t.Fatal("wrong lengths")
	}
	for _, f := range []func(){
		func() { Make[*int](1 << 20) },
		func() { Make[struct{ a []int }](1 << 20) },
		func() { Make[[4]string](1 << 20) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("a table of a type with pointers was made")
				}
			}()
			f()
		}()
	}
}
