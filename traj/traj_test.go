package traj

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testHeader makes a header with nv voxels, ns species and two output
// sets: all, and every third voxel with two species.
func testHeader(nv, ns int, values ValueType) *Header {
	h := &Header{SpinerdVersion: "test", ModelSource: "m.xml", ModelText: "<SDRun>…</SDRun>", Method: "adaptive",
		Tolerance: 0.01, Seed: 42, StartMs: 0, EndMs: 1000, Values: values, Depth2DUm: 0.5}
	for s := 0; s < ns; s++ {
		h.Species = append(h.Species, Species{ID: "S" + string(rune('A'+s%26)) + string(rune('a'+s/26)), Name: "species"})
	}
	all := Set{Name: "__main__", IntervalMs: 10}
	sub := Set{Name: "sub", IntervalMs: 5, Species: []int{ns - 1, 0}}
	for s := 0; s < ns; s++ {
		all.Species = append(all.Species, s)
	}
	for v := 0; v < nv; v++ {
		h.Voxels = append(h.Voxels, Voxel{VolumeUm3: 0.1 + float64(v), Region: "r", Label: "", Corners: [4][3]float64{{float64(v), 1, 0}, {2, 3, 0}, {4, 5, 0}, {6, 7, 0}}})
		all.Voxels = append(all.Voxels, v)
		if v%3 == 0 {
			sub.Voxels = append(sub.Voxels, v)
		}
	}
	h.Sets = []Set{all, sub}
	return h
}

type frame struct {
	set    int
	t      float64
	counts []int64
	floats []float64
}

// randomFrames writes n frames per set with random-walk values.
func writeFrames(t testing.TB, w *Writer, h *Header, n int, seed uint64) []frame {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []frame
	state := make([][]float64, len(h.Sets))
	for i := 0; i < n; i++ {
		for s := range h.Sets {
			cols := h.Columns(s)
			if state[s] == nil {
				state[s] = make([]float64, cols)
				for c := range state[s] {
					state[s][c] = float64(rng.IntN(100000))
				}
			}
			fr := frame{set: s, t: float64(i) * h.Sets[s].IntervalMs}
			for c := range state[s] {
				state[s][c] = math.Max(0, state[s][c]+float64(rng.IntN(21)-10))
				if h.Values == Counts {
					fr.counts = append(fr.counts, int64(state[s][c]))
				} else {
					fr.floats = append(fr.floats, state[s][c]*1.37+rng.Float64())
				}
			}
			var err error
			if h.Values == Counts {
				err = w.Counts(s, fr.t, fr.counts)
			} else {
				err = w.Values(s, fr.t, fr.floats)
			}
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fr)
		}
	}
	return out
}

func readAll(t *testing.T, r *Reader) []frame {
	t.Helper()
	var out []frame
	for s := range r.Header().Sets {
		err := r.Frames(s, math.Inf(-1), math.Inf(1), func(tm float64, c []int64, f []float64) error {
			fr := frame{set: s, t: tm}
			if c != nil {
				fr.counts = append([]int64(nil), c...)
			} else {
				fr.floats = append([]float64(nil), f...)
			}
			out = append(out, fr)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// bySet orders frames set by set, as readAll returns them.
func bySet(fs []frame, sets int) []frame {
	var out []frame
	for s := 0; s < sets; s++ {
		for _, f := range fs {
			if f.set == s {
				out = append(out, f)
			}
		}
	}
	return out
}

// TestRoundTrip: values and metadata read back identical, for counts and
// floats, one voxel and 120 voxels, with chunks of every size.
func TestRoundTrip(t *testing.T) {
	for _, c := range []struct {
		nv, ns, frames int
		values         ValueType
	}{{1, 204, 700, Counts}, {120, 20, 300, Counts}, {1, 204, 300, Floats}, {120, 20, 300, Floats}, {3, 2, 1, Counts}} {
		path := filepath.Join(t.TempDir(), "x.traj")
		h := testHeader(c.nv, c.ns, c.values)
		w, err := Create(path, h)
		if err != nil {
			t.Fatal(err)
		}
		want := writeFrames(t, w, h, c.frames, uint64(c.nv))
		if _, err := os.Stat(path); err == nil {
			t.Fatal("final file exists before Close")
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path + ".part"); err == nil {
			t.Fatal(".part left after Close")
		}
		r, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if cut, msg := r.Truncated(); cut {
			t.Fatalf("complete file reported cut: %s", msg)
		}
		got := readAll(t, r)
		if !reflect.DeepEqual(got, bySet(want, len(h.Sets))) {
			t.Errorf("%d voxels, %s: frames differ after the round trip", c.nv, c.values)
		}
		hw := *h
		hw.FormatVersion = FormatVersion
		if !reflect.DeepEqual(r.Header(), &hw) {
			t.Errorf("header differs:\n%+v\n%+v", r.Header(), &hw)
		}
		// Time ranges.
		n := 0
		r.Frames(1, 50, 100, func(tm float64, _ []int64, _ []float64) error {
			if tm < 50 || tm > 100 {
				t.Errorf("frame at %g outside [50, 100]", tm)
			}
			n++
			return nil
		})
		if want := min(11, c.frames-10); c.frames > 20 && n != want {
			t.Errorf("%d frames in [50, 100] ms, want %d", n, want)
		}
		r.Close()
	}
}

// TestCrashRecovery cuts a trajectory at every byte offset from the start
// of its last chunk to its end: the reader returns exactly the chunks that
// are complete and says the file was cut.
func TestCrashRecovery(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.traj")
	h := testHeader(2, 5, Counts)
	h.Sets = h.Sets[:1]
	w, err := Create(path, h)
	if err != nil {
		t.Fatal(err)
	}
	var all []frame
	for k := 0; k < 3; k++ { // three chunks of 7, 7 and 5 frames
		fr := writeFrames(t, w, h, 7-2*(k/2), uint64(k))
		for i := range fr {
			fr[i].t += float64(k) * 1000
		}
		all = append(all, fr...)
		w.Flush()
	}
	_ = all
	w.Close()
	full, _ := os.ReadFile(path)
	r, _ := Open(path)
	whole := readAll(t, r)
	chunks := r.chunks
	r.Close()
	if len(chunks) != 3 {
		t.Fatalf("%d chunks, want 3", len(chunks))
	}
	last := chunks[2].Offset
	for cut := last; cut < int64(len(full)); cut++ {
		p := filepath.Join(dir, "cut.traj")
		os.WriteFile(p, full[:cut], 0o644)
		r, err := Open(p)
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		got := readAll(t, r)
		cutFlag, msg := r.Truncated()
		wantFrames := 14
		if cut >= last+chunkHead+int64(chunks[2].payloadLen) {
			wantFrames = 19 // the last chunk is complete; index or footer cut
		}
		if !cutFlag || !strings.Contains(msg, "recovered") {
			t.Fatalf("cut at %d: not reported as cut (%q)", cut, msg)
		}
		if len(got) != wantFrames || !reflect.DeepEqual(got, whole[:wantFrames]) {
			t.Fatalf("cut at %d: %d frames, want the first %d", cut, len(got), wantFrames)
		}
		r.Close()
	}
}

// TestKilledWriter kills a process that is writing a trajectory: the
// .part file it leaves holds every chunk it completed.
func TestKilledWriter(t *testing.T) {
	if os.Getenv("SPINERD_TRAJ_CHILD") != "" {
		// child: write two chunks, then a third frame, then wait to be killed
		path := os.Getenv("SPINERD_TRAJ_CHILD")
		h := testHeader(4, 3, Counts)
		h.Sets = h.Sets[:1]
		w, _ := Create(path, h)
		for i := 0; i < 10; i++ {
			w.Counts(0, float64(i), make([]int64, 12))
			if i == 4 || i == 8 {
				w.Flush()
			}
		}
		os.WriteFile(path+".ready", nil, 0o644)
		time.Sleep(time.Minute)
		return
	}
	path := filepath.Join(t.TempDir(), "run.traj")
	cmd := exec.Command(os.Args[0], "-test.run", "^TestKilledWriter$")
	cmd.Env = append(os.Environ(), "SPINERD_TRAJ_CHILD="+path)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		if _, err := os.Stat(path + ".ready"); err == nil {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Stat(path); err == nil {
		t.Fatal("a killed writer left a file under the final name")
	}
	r, err := Open(path + ".part")
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	defer r.Close()
	var ts []float64
	err = r.Frames(0, math.Inf(-1), math.Inf(1), func(tm float64, _ []int64, _ []float64) error {
		ts = append(ts, tm)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 9 {
		t.Errorf("recovered %d frames, want the 9 of the two complete chunks", len(ts))
	}
	if cut, msg := r.Truncated(); !cut {
		t.Error("not reported as cut")
	} else {
		t.Log(msg)
	}
}

func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"empty":   nil,
		"text":    []byte("cctdif2d\nvolumeGrid 1\n"),
		"version": []byte("SPINERDT\x09\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o644)
		if r, err := Open(p); err == nil {
			r.Close()
			t.Errorf("%s: opened", name)
		} else if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error does not name the file: %v", name, err)
		}
	}
	if _, err := Create(filepath.Join(dir, "no", "dir", "x.traj"), testHeader(1, 1, Counts)); err == nil {
		t.Error("created a file in a missing directory")
	}
}

// BenchmarkEncodeCounts measures encoding speed in MB/s of raw int32
// values (4 bytes per value): delta + zigzag varint + zstd, for frames of
// the spine model's size (204 species, slowly varying counts).
func BenchmarkEncodeCounts(b *testing.B) {
	h := testHeader(1, 204, Counts)
	h.Sets = h.Sets[:1]
	rng := rand.New(rand.NewPCG(1, 2))
	const frames = 4096
	vals := make([][]int64, frames)
	state := make([]int64, 204)
	for c := range state {
		state[c] = int64(rng.IntN(600000))
	}
	for f := range vals {
		for c := range state {
			if rng.IntN(3) == 0 {
				state[c] += int64(rng.IntN(41) - 20)
			}
			state[c] = max(state[c], 0)
		}
		vals[f] = append([]int64(nil), state...)
	}
	dir := b.TempDir()
	b.SetBytes(frames * 204 * 4)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w, err := Create(filepath.Join(dir, "b.traj"), h)
		if err != nil {
			b.Fatal(err)
		}
		for f, v := range vals {
			w.Counts(0, float64(f), v)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
