package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/internal/testenv"
)

func runCmd(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestInspectSpineModel is the acceptance check of the foundation: the
// Mäki-Marttunen HFS model has 204 species, one voxel of 0.5 µm³ and four
// stimuli of 101 pulses (NeuroRD's reading of end = onset + 100·period +
// duration); the authors' template fails naming the undefined species CaB.
func TestInspectSpineModel(t *testing.T) {
	dir := filepath.Join(testenv.Testdata(t), "models", "maki-marttunen-2020")
	code, out, errs := runCmd("inspect", filepath.Join(dir, "Model_HFS1.xml"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	head := strings.Join(strings.SplitN(out, "\n", 5)[:4], "\n")
	if head != "species: 204\nreaction channels: 413\nvoxels: 1\nvolume: 0.5 µm³" {
		t.Errorf("summary starts with:\n%s", head)
	}
	if n := strings.Count(out, "pulses: 101,"); n != 4 || !strings.Contains(out, "stimuli: 4\n") {
		t.Errorf("%d stimuli with 101 pulses:\n%s", n, out)
	}
	code, _, errs = runCmd("inspect", filepath.Join(dir, "Model_template.xml"))
	if code != 2 || !strings.Contains(errs, `"CaB"`) || !strings.Contains(errs, "Stimulations_template.xml:") {
		t.Errorf("template: exit %d, stderr:\n%s", code, errs)
	}
}

func TestMeshCommand(t *testing.T) {
	model := filepath.Join(testenv.Testdata(t), "models", "neurord-examples", "Model_mglur_spine-CaY.xml")
	code, out, errs := runCmd("mesh", model)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 37 || !strings.HasPrefix(lines[0], "voxel\tvolume_um3\t") {
		t.Errorf("%d lines, header %q", len(lines), lines[0])
	}
	if !strings.Contains(lines[36], "sa1[0].pointA") || !strings.Contains(lines[36], "PSD") {
		t.Errorf("last voxel row: %s", lines[36])
	}
	out2 := filepath.Join(t.TempDir(), "mesh.txt")
	if code, _, errs := runCmd("mesh", model, "--format", "neurord", "-o", out2); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

// TestEveryCommandHelp: every registered command answers --help with
// its usage and exit 0.
func TestEveryCommandHelp(t *testing.T) {
	for name := range commands() {
		code, out, errs := runCmd(name, "--help")
		if code != 0 || !strings.HasPrefix(out, "Usage: spinerd "+name) {
			t.Errorf("%s --help: exit %d, stdout %.80q, stderr %.80q", name, code, out, errs)
		}
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"inspect", "--help"}, {"mesh", "-h"}, {"help", "mesh"}, {"version"}} {
		code, out, _ := runCmd(args...)
		if code != 0 || out == "" {
			t.Errorf("%v: exit %d, output %q", args, code, out)
		}
	}
	for _, args := range [][]string{{}, {"frobnicate"}, {"inspect"}, {"inspect", "a.xml", "b.xml"}, {"inspect", "--no-such-flag", "x.xml"}, {"mesh", "--format", "svg", "x.xml"}} {
		if code, _, _ := runCmd(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
