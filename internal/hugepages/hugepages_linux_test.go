package hugepages

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// anonHugeKB returns AnonHugePages of this process (kB).
func anonHugeKB(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "AnonHugePages:" {
			kb, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatal(err)
			}
			return kb
		}
	}
	t.Fatal("no AnonHugePages in smaps_rollup")
	return 0
}

// TestBackGivesHugePages: after Back, a large table allocated and written
// the way an engine fills its arrays is mapped with huge pages (when the
// kernel offers them: policy "madvise" or "always"; with "never" it must
// stay a harmless no-op).
func TestBackGivesHugePages(t *testing.T) {
	policy, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	available := err == nil && !strings.Contains(string(policy), "[never]")
	const size = 256 << 20
	before := anonHugeKB(t)
	marked := Back(size)
	if marked > size {
		t.Fatalf("marked %d bytes of %d", marked, size)
	}
	tab := make([]int64, size/8/2)
	for i := 0; i < len(tab); i += 512 {
		tab[i] = int64(i)
	}
	after := anonHugeKB(t)
	t.Logf("THP policy %q: marked %d MiB; AnonHugePages %d -> %d kB", strings.TrimSpace(string(policy)), marked>>20, before, after)
	if available && (marked == 0 || after-before < 32<<10) {
		t.Fatalf("huge pages available, but a 128 MiB table got %d kB of them", after-before)
	}
	if tab[512] != 512 {
		t.Fatal("table lost its contents")
	}
	if Back(1<<20) != 0 {
		t.Fatal("a block smaller than 4 huge pages was marked")
	}
}
