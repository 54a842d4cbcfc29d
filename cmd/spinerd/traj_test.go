package main

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/internal/testenv"
	"github.com/spinerd/spinerd/neurord"
	"github.com/spinerd/spinerd/runfile"
	"github.com/spinerd/spinerd/traj"
)

// runTrajectory runs the 9-voxel mglur diffusion example for 300 ms and
// returns the trajectory's path.
func runTrajectory(t *testing.T) string {
	t.Helper()
	model := filepath.Join(testenv.Testdata(t), "models", "neurord-examples", "Model_mglur_diff.xml")
	path := filepath.Join(t.TempDir(), "run.traj")
	if code, _, errs := runCmd("run", model, "--runtime", "300", "--seed", "11", "-o", path, "-q"); code != 0 {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	return path
}

func TestRunWritesTrajectory(t *testing.T) {
	path := runTrajectory(t)
	r, err := traj.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h := r.Header()
	if h.Seed != 11 || h.Method != "multiscale" || h.Values != traj.Counts || !strings.Contains(h.ModelText, "<Specie") || len(h.Voxels) != 9 || len(h.Sets) != 2 {
		t.Errorf("header: seed %d method %s values %s, %d voxels, %d sets, model text %d bytes", h.Seed, h.Method, h.Values, len(h.Voxels), len(h.Sets), len(h.ModelText))
	}
	ts, _ := runfile.Times(r, 0)
	if len(ts) != 3 || ts[0] != 0 || ts[2] != 300 {
		t.Errorf("main output times %v", ts)
	}
	ts, _ = runfile.Times(r, 1)
	if len(ts) != 301 {
		t.Errorf("%d frames of the 1 ms output set, want 301", len(ts))
	}
}

// npyArray is a decoded .npy array.
type npyArray struct {
	descr string
	shape []int
	data  []byte
}

// readNPZ decodes an .npz archive with Go only: the zip, each .npy header
// (magic, version 1.0, dict) and the data.
func readNPZ(t *testing.T, path string) map[string]npyArray {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string]npyArray{}
	re := regexp.MustCompile(`'descr': '([^']+)', 'fortran_order': False, 'shape': \(([0-9, ]*)\)`)
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b[:8]) != "\x93NUMPY\x01\x00" {
			t.Fatalf("%s: bad npy magic", f.Name)
		}
		hl := int(binary.LittleEndian.Uint16(b[8:]))
		if (10+hl)%64 != 0 {
			t.Errorf("%s: header not 64-byte aligned", f.Name)
		}
		m := re.FindStringSubmatch(string(b[10 : 10+hl]))
		if m == nil {
			t.Fatalf("%s: bad header %q", f.Name, b[10:10+hl])
		}
		var shape []int
		for _, d := range strings.Split(m[2], ",") {
			if d = strings.TrimSpace(d); d != "" {
				n, _ := strconv.Atoi(d)
				shape = append(shape, n)
			}
		}
		out[strings.TrimSuffix(f.Name, ".npy")] = npyArray{m[1], shape, b[10+hl:]}
	}
	return out
}

func TestExportFormats(t *testing.T) {
	path := runTrajectory(t)
	dir := t.TempDir()
	r, _ := traj.Open(path)
	h := r.Header()
	var frames [][]int64
	var times []float64
	r.Frames(0, -1, 1e9, func(tm float64, c []int64, _ []float64) error {
		frames = append(frames, append([]int64(nil), c...))
		times = append(times, tm)
		return nil
	})
	r.Close()
	ns := len(h.Sets[0].Species)
	glu := 0 // species 0 is glu

	// CSV summed over voxels
	code, out, errs := runCmd("export", path, "--format", "csv", "--sum-voxels")
	if code != 0 {
		t.Fatalf("csv: %d %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "time_ms,glu,buf,") {
		t.Fatalf("csv:\n%s", out)
	}
	var sum int64
	for v := 0; v < 9; v++ {
		sum += frames[2][v*ns+glu]
	}
	if f := strings.Split(lines[3], ","); f[0] != "300" || f[1] != strconv.FormatInt(sum, 10) {
		t.Errorf("csv last row %q, want glu %d at 300", lines[3], sum)
	}
	// TSV per voxel
	code, out, _ = runCmd("export", path, "--format", "tsv", "--species", "glu", "--voxels", "0,3-5")
	if code != 0 || !strings.HasPrefix(out, "time_ms\tglu@0\tglu@3\tglu@4\tglu@5\n") {
		t.Errorf("tsv: exit %d\n%s", code, out)
	}
	// NPZ
	npz := filepath.Join(dir, "run.npz")
	if code, _, errs := runCmd("export", path, "--format", "npz", "--voxels", "2-4", "-o", npz); code != 0 {
		t.Fatalf("npz: %d %s", code, errs)
	}
	arrs := readNPZ(t, npz)
	vals := arrs["values"]
	if vals.descr != "<i4" || fmt.Sprint(vals.shape) != fmt.Sprint([]int{3, 3, ns}) || len(vals.data) != 3*3*ns*4 {
		t.Fatalf("values: %s %v (%d bytes)", vals.descr, vals.shape, len(vals.data))
	}
	for f := 0; f < 3; f++ {
		for k, v := range []int{2, 3, 4} {
			for s := 0; s < ns; s++ {
				got := int32(binary.LittleEndian.Uint32(vals.data[4*((f*3+k)*ns+s):]))
				if int64(got) != frames[f][v*ns+s] {
					t.Fatalf("npz value [%d,%d,%d] = %d, want %d", f, k, s, got, frames[f][v*ns+s])
				}
			}
		}
	}
	if sp := arrs["species"]; !strings.HasPrefix(sp.descr, "<U") || sp.shape[0] != ns {
		t.Errorf("species array %s %v", sp.descr, sp.shape)
	}
	if py, err := exec.LookPath("/usr/bin/python3"); err == nil && exec.Command(py, "-c", "import numpy").Run() == nil {
		script := fmt.Sprintf(`import numpy as np
d = np.load(%q)
print(d['times'].tolist(), d['values'].shape, d['values'].dtype, d['values'][2, 1, 0], list(d['species'][:2]), d['voxels'].tolist())`, npz)
		got, err := exec.Command(py, "-c", script).CombinedOutput()
		if err != nil {
			t.Fatalf("numpy: %v\n%s", err, got)
		}
		want := fmt.Sprintf("[%.1f, %.1f, %.1f] (3, 3, %d) int32 %d ['glu', 'buf'] [2, 3, 4]", times[0], times[1], times[2], ns, frames[2][3*ns+0])
		if strings.TrimSpace(string(got)) != want {
			t.Errorf("numpy read\n%s\nwant\n%s", got, want)
		}
	} else {
		t.Log("numpy is not available (apt-get install python3-numpy): checked the NPZ with the Go reader only")
	}
	// NeuroRD text, read back by spinerd's NeuroRD reader
	base := filepath.Join(dir, "nrd")
	if code, _, errs := runCmd("export", path, "--format", "neurord", "-o", base); code != 0 {
		t.Fatalf("neurord: %d %s", code, errs)
	}
	data, _ := os.ReadFile(base + ".out")
	or, err := neurord.NewOutReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for f := 0; ; f++ {
		fr, err := or.Next()
		if err != nil {
			if f != 3 {
				t.Errorf("%d frames read back, want 3", f)
			}
			break
		}
		if fr.TimeMs != times[f] {
			t.Errorf("frame %d at %v, want %v", f, fr.TimeMs, times[f])
		}
		for v := range fr.Counts {
			for s, c := range fr.Counts[v] {
				if c != frames[f][v*ns+s] {
					t.Fatalf("frame %d voxel %d species %d: %d, want %d", f, v, s, c, frames[f][v*ns+s])
				}
			}
		}
	}
	for _, bad := range [][]string{
		{"export", path, "--format", "xls"},
		{"export", path, "--species", "nope"},
		{"export", path, "--voxels", "99"},
		{"export", path, "--voxels", "3-1"},
		{"export", path, "--format", "npz"},
		{"export", filepath.Join(dir, "missing.traj")},
	} {
		if code, _, _ := runCmd(bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad[2:], code)
		}
	}
}

func TestPlotCommand(t *testing.T) {
	path := runTrajectory(t)
	fig := filepath.Join(t.TempDir(), "fig.png")
	if code, _, errs := runCmd("plot", path, path, "--species", "glu,buf", "--concentration", "-o", fig); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	f, err := os.Open(fig)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	dark := 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0x8000 && g < 0x8000 && bl < 0xc000 {
				dark++
			}
		}
	}
	if b.Dx() < 100 || b.Dy() < 100 || dark < 100 {
		t.Errorf("figure %v with %d dark pixels looks blank", b, dark)
	}
	svg := filepath.Join(t.TempDir(), "fig.svg")
	if code, _, errs := runCmd("plot", path, "--species", "glu", "-o", svg); code != 0 {
		t.Fatalf("svg: exit %d: %s", code, errs)
	}
	if code, _, _ := runCmd("plot", path, "--species", "nope", "-o", fig); code != 2 {
		t.Errorf("unknown species: exit %d, want 2", code)
	}
}
