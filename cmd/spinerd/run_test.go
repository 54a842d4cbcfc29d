package main

import (
	"encoding/csv"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/firings"
	"github.com/spinerd/spinerd/internal/testenv"
)

// TestRunCommand runs a diffusion example through the CLI: NeuroRD-layout
// files appear, the same seed gives identical files for 1 and 4 workers,
// and bad flags exit with 2 writing nothing.
func TestRunCommand(t *testing.T) {
	model := filepath.Join(testenv.Testdata(t), "models", "neurord-examples", "Model_mglur_diff.xml")
	dir := t.TempDir()
	var first []byte
	for _, w := range []string{"1", "4"} {
		base := filepath.Join(dir, "w"+w)
		code, _, errs := runCmd("run", model, "--runtime", "300", "--seed", "7", "--workers", w, "--format", "neurord", "-o", base)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		for _, f := range []string{base + ".out", base + "-mesh.txt.out", base + "-all-conc.txt.out"} {
			if _, err := os.Stat(f); err != nil {
				t.Errorf("missing %s", f)
			}
		}
		if !strings.Contains(errs, "seed 7") {
			t.Errorf("summary does not give the seed:\n%s", errs)
		}
		data, _ := os.ReadFile(base + ".out")
		if !strings.HasPrefix(string(data), "cctdif2d\nvolumeGrid 9\n") || strings.Count(string(data), "gridConcentrations") != 3 { // 0, 200 and the end, 300 ms
			t.Errorf("unexpected main output:\n%.300s", data)
		}
		if first == nil {
			first = data
		} else if string(first) != string(data) {
			t.Error("--workers changed the output")
		}
		// the file's mesh (9 voxels) is too small for domains: it runs
		// as one block, and says so
		if note := strings.Contains(errs, "ran as one block on one core"); note != (w != "1") {
			t.Errorf("--workers %s: note that the method runs on one core: %v\n%s", w, note, errs)
		}
	}
	for _, args := range [][]string{
		{"run", model, "--method", "magic", "-o", filepath.Join(dir, "bad")},
		{"run", model, "--tolerance", "2", "-o", filepath.Join(dir, "bad")},
		{"run", model, "--runtime", "-5", "-o", filepath.Join(dir, "bad")},
		{"run", model, "-o", filepath.Join(dir, "no", "such", "dir", "x")},
		{"run", "--method", "magic", "-o", filepath.Join(dir, "bad")}, // the default model with a bad flag
	} {
		if code, _, _ := runCmd(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args[1:], code)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "bad*")); len(m) > 0 {
		t.Errorf("failed runs left %v", m)
	}
}

// TestRunTiming: --timing writes one row per output time (and the start),
// cumulative and growing, whose last counts are the summary's; a
// deterministic method or a directory as the target is a bad flag (exit 2)
// that writes nothing.
func TestRunTiming(t *testing.T) {
	model := filepath.Join(testenv.Testdata(t), "models", "neurord-examples", "Model_mglur_diff.xml")
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "timing.csv")
	code, _, errs := runCmd("run", model, "--runtime", "300", "--seed", "7", "--timing", csvPath, "-o", filepath.Join(dir, "r.traj"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	data, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if lines[0] != "time_ms,wall_s,single_events,leaps,leap_firings,fixed_steps,windows" || len(lines) < 3 {
		t.Fatalf("timing file:\n%s", data)
	}
	prev := []float64{-1, -1, -1, -1, -1, -1, -1}
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if len(f) != 7 {
			t.Fatalf("row %q", l)
		}
		for k, s := range f {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || v < prev[k] || (k == 0 && v == prev[k]) {
				t.Fatalf("row %q after %v", l, prev)
			}
			prev[k] = v
		}
	}
	if prev[0] != 300 || prev[2]+prev[4] == 0 {
		t.Errorf("last row %v: want the end, 300 ms, and firings", prev)
	}
	if want := fmt.Sprintf("%d single events, %d leaps carrying %d firings", int64(prev[2]), int64(prev[3]), int64(prev[4])); !strings.Contains(errs, want) {
		t.Errorf("summary does not say %q:\n%s", want, errs)
	}
	for _, args := range [][]string{
		{"run", model, "--method", "ode", "--timing", filepath.Join(dir, "bad.csv"), "-o", filepath.Join(dir, "bad.traj")},
		{"run", model, "--timing", dir, "-o", filepath.Join(dir, "bad.traj")},
	} {
		if code, _, errs := runCmd(args...); code != 2 || !strings.Contains(errs, "timing") {
			t.Errorf("%v: exit %d, want 2 naming --timing: %s", args[1:], code, errs)
		}
	}
	for _, pat := range []string{"bad*", ".*"} {
		if m, _ := filepath.Glob(filepath.Join(dir, pat)); len(m) > 0 {
			t.Errorf("failed runs left %v", m)
		}
	}
}

// TestRunFiringsEveryCount: an interval shorter than any gap between two
// output times or stimulus edges closes at each of them, however short:
// 1e-300 ms (which once stepped forever towards the next multiple) gives
// the table 0.001 ms gives.
func TestRunFiringsEveryCount(t *testing.T) {
	model := filepath.Join(testenv.Testdata(t), "models", "neurord-examples", "Model_mglur_diff.xml")
	dir := t.TempDir()
	var tables []string
	for _, every := range []string{"0.001", "1e-300"} {
		csvPath := filepath.Join(dir, "f"+every+".csv")
		code, _, errs := runCmd("run", model, "--runtime", "350", "--seed", "7", "--firings", csvPath, "--firings-every", every, "-q", "-o", filepath.Join(dir, "r.traj"))
		if code != 0 {
			t.Fatalf("--firings-every %s: exit %d: %s", every, code, errs)
		}
		b, err := os.ReadFile(csvPath)
		if err != nil {
			t.Fatal(err)
		}
		tables = append(tables, string(b))
	}
	ends := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(tables[0]), "\n")[1:] {
		f := strings.Split(line, ",")
		ends[f[1]] = true
	}
	if len(ends) < 3 || !ends["350"] {
		t.Errorf("interval ends %v: want several, the last at 350 ms", ends)
	}
	if tables[0] != tables[1] {
		t.Error("--firings-every 1e-300 and 0.001 wrote different tables")
	}
}

// TestRunFirings: --firings writes the firings of each channel class per
// interval of --firings-every: intervals ending at output times (the
// last at the run's end; none for 0-100 ms, where nothing fires before
// the model's first stimulus), the classes with the most single events
// first, shares summing to one, and in all the single events and leap
// firings the summary counts; bad values and combinations are bad flags
// (exit 2) that write nothing.
func TestRunFirings(t *testing.T) {
	model := filepath.Join(testenv.Testdata(t), "models", "neurord-examples", "Model_mglur_diff.xml")
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "firings.csv")
	for _, method := range []string{"adaptive", "exact"} {
		code, _, errs := runCmd("run", model, "--method", method, "--runtime", "350", "--seed", "7", "--firings", csvPath, "--firings-every", "100", "-o", filepath.Join(dir, "r.traj"))
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		f, err := os.Open(csvPath)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(rows[0], ",") != "from_ms,to_ms,kind,name,region,to_region,single_events,leap_firings,crossed,share_of_single_events" {
			t.Fatalf("header %v", rows[0])
		}
		var single, leap int64
		share := map[string]float64{}
		var intervals []string
		prev := int64(-1)
		for _, r := range rows[1:] {
			iv := r[0] + "-" + r[1]
			if len(intervals) == 0 || intervals[len(intervals)-1] != iv {
				intervals = append(intervals, iv)
				prev = -1
			}
			s, err1 := strconv.ParseInt(r[6], 10, 64)
			l, err2 := strconv.ParseInt(r[7], 10, 64)
			sh, err3 := strconv.ParseFloat(r[9], 64)
			if err1 != nil || err2 != nil || err3 != nil || (prev >= 0 && s > prev) || s+l == 0 {
				t.Fatalf("%s: row %v (previous single events %d)", method, r, prev)
			}
			if r[2] == "diffusion" && r[5] == "" || r[2] != "diffusion" && r[5] != "" {
				t.Errorf("%s: row %v: a diffusion row, and only one, names the region entered", method, r)
			}
			prev = s
			single += s
			leap += l
			share[iv] += sh
		}
		if got := strings.Join(intervals, " "); got != "100-200 200-300 300-350" {
			t.Errorf("%s: intervals %s", method, got)
		}
		for iv, sh := range share {
			if math.Abs(sh-1) > 1e-4 {
				t.Errorf("%s: interval %s: shares sum to %g", method, iv, sh)
			}
		}
		if want := fmt.Sprintf("%d single events, ", single); !strings.Contains(errs, want) {
			t.Errorf("%s: the rows count %d single events; the summary says:\n%s", method, single, errs)
		}
		if want := fmt.Sprintf("carrying %d firings", leap); !strings.Contains(errs, want) || (method == "adaptive") != (leap > 0) {
			t.Errorf("%s: the rows count %d leap firings; the summary says:\n%s", method, leap, errs)
		}
		if !strings.Contains(errs, csvPath) {
			t.Errorf("%s: the summary does not name %s", method, csvPath)
		}
		// the summary names the busiest class, which the first row of the
		// busiest interval need not be: sum the rows
		busiest, most := "", int64(-1)
		perClass := map[string]int64{}
		for _, r := range rows[1:] {
			s, _ := strconv.ParseInt(r[6], 10, 64)
			perClass[firings.Class{Kind: r[2], Name: r[3], Region: r[4], ToRegion: r[5]}.Label()] += s
		}
		for _, r := range rows[1:] {
			if label := (firings.Class{Kind: r[2], Name: r[3], Region: r[4], ToRegion: r[5]}).Label(); perClass[label] > most {
				busiest, most = label, perClass[label]
			}
		}
		if !strings.Contains(errs, "busiest channels (share of single events): "+busiest+" ") {
			t.Errorf("%s: the summary does not name the busiest class %q:\n%s", method, busiest, errs)
		}
	}
	// spinerd plot draws the table
	for _, fig := range []string{"f.png", "f.svg"} {
		if code, _, errs := runCmd("plot", csvPath, "-o", filepath.Join(dir, fig), "--top", "5"); code != 0 {
			t.Fatalf("plot %s: exit %d: %s", fig, code, errs)
		}
	}
	if f, err := os.Open(filepath.Join(dir, "f.png")); err != nil {
		t.Fatal(err)
	} else {
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() < 500 {
			t.Errorf("figure: %v", err)
		}
	}
	good, _ := os.ReadFile(csvPath)
	lines := strings.Split(string(good), "\n")
	lines[2] = "100,200,reaction,bind,dend,,-1,0,0,0"
	broken := filepath.Join(dir, "broken.csv")
	os.WriteFile(broken, []byte(strings.Join(lines, "\n")), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{csvPath, "--top", "0"}, "--top: 0"},
		{[]string{broken}, `broken.csv: line 3, column single_events: "-1"`},
	} {
		args := append([]string{"plot", "-o", filepath.Join(dir, "bad.png")}, c.args...)
		if code, _, errs := runCmd(args...); code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, want 2 saying %q: %s", c.args, code, c.want, errs)
		}
	}
	for _, c := range []struct {
		flag string
		args []string
	}{
		{"firings-every", []string{"--firings", filepath.Join(dir, "bad.csv"), "--firings-every", "-1"}},
		{"firings-every", []string{"--firings", filepath.Join(dir, "bad.csv"), "--firings-every", "NaN"}},
		{"firings-every", []string{"--firings", filepath.Join(dir, "bad.csv"), "--firings-every", "+Inf"}},
		{"firings-every", []string{"--firings-every", "10"}},
		{"firings", []string{"--firings", filepath.Join(dir, "bad.csv"), "--method", "ode"}},
		{"firings", []string{"--firings", dir}},
		{"firings", []string{"--firings", filepath.Join(dir, "bad.csv"), "--timing", filepath.Join(dir, "bad.csv")}},
		{"firings", []string{"--firings", filepath.Join(dir, "bad.traj")}},
		{"timing", []string{"--timing", filepath.Join(dir, "bad.traj")}},
	} {
		args := append([]string{"run", model, "-o", filepath.Join(dir, "bad.traj")}, c.args...)
		if code, _, errs := runCmd(args...); code != 2 || !strings.Contains(errs, "--"+c.flag+":") {
			t.Errorf("%v: exit %d, want 2 naming --%s: %s", c.args, code, c.flag, errs)
		}
	}
	for _, pat := range []string{"bad*", ".*"} {
		if m, _ := filepath.Glob(filepath.Join(dir, pat)); len(m) > 0 {
			t.Errorf("failed runs left %v", m)
		}
	}
}
