// Package h5check runs the HDF5 Group's tools on files for tests: h5dump
// (Debian's hdf5-tools) and h5py (python3-h5py, run with /usr/bin/python3).
// It fails the test when a tool is missing: tests that use it sit behind
// the build tag h5tools and are real checks.
package h5check

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/h5"
)

// Python is the interpreter with h5py.
const Python = "/usr/bin/python3"

// H5dump runs h5dump with args and returns its output.
func H5dump(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("h5dump", args...).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("h5dump %s: %v %s (install with: apt-get install hdf5-tools)", strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

// Dataset is what h5py reports of one object.
type Dataset struct {
	Kind        string          `json:"kind"` // "group" or "dataset"
	DType       json.RawMessage `json:"dtype"`
	Shape       []int64         `json:"shape"`
	MaxShape    []int64         `json:"maxshape"` // −1: unlimited
	Chunks      []int64         `json:"chunks"`
	Compression *string         `json:"compression"`
	Opts        any             `json:"opts"`
	Shuffle     bool            `json:"shuffle"`
	Data        string          `json:"data"` // base64 of the C-order bytes numpy holds
	Attrs       map[string]any  `json:"attrs"`
}

// Bytes returns the element bytes h5py read.
func (d *Dataset) Bytes(t testing.TB) []byte {
	b, err := base64.StdEncoding.DecodeString(d.Data)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const script = `
import sys, json, base64
import h5py, numpy as np

def dt(d):
    if d.names:
        return [[n, dt(d.fields[n][0]), d.fields[n][1]] for n in d.names]
    return d.str

def val(v):
    if isinstance(v, bytes):
        return v.decode('utf-8', 'surrogateescape')
    if isinstance(v, np.ndarray):
        return [val(x) for x in v.tolist()]
    if isinstance(v, list):
        return [val(x) for x in v]
    if isinstance(v, np.generic):
        return val(v.item())
    return v

out = {}
def visit(name, o):
    e = {"attrs": {k: val(v) for k, v in o.attrs.items()}}
    if isinstance(o, h5py.Dataset):
        e.update(kind="dataset", dtype=dt(o.dtype), shape=list(o.shape),
                 maxshape=[-1 if m is None else m for m in o.maxshape],
                 chunks=list(o.chunks) if o.chunks else None,
                 compression=o.compression, opts=o.compression_opts, shuffle=bool(o.shuffle))
        if sys.argv[2] == "data":
            e["data"] = base64.b64encode(np.ascontiguousarray(o[()]).tobytes()).decode()
    else:
        e["kind"] = "group"
    out[name] = e

with h5py.File(sys.argv[1], "r") as f:
    out["/"] = {"kind": "group", "attrs": {k: val(v) for k, v in f.attrs.items()}}
    f.visititems(visit)
json.dump(out, sys.stdout)
`

// H5py reads every group and dataset of path with h5py; with data, the
// datasets' elements too.
func H5py(t testing.TB, path string, data bool) map[string]*Dataset {
	t.Helper()
	sp := filepath.Join(t.TempDir(), "h5check.py")
	if err := os.WriteFile(sp, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	mode := "meta"
	if data {
		mode = "data"
	}
	cmd := exec.Command(Python, sp, path, mode)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("h5py on %s: %v\n%s(install with: apt-get install python3-h5py)", path, err, stderr.String())
	}
	var m map[string]*Dataset
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

var (
	digits   = regexp.MustCompile(`[0-9]+`)
	internal = regexp.MustCompile(`^\s*DATASET "(serialized_config|descriptions|event_statistics)" \{$`)
)

// MaskHeader masks what legitimately differs between two runs of a model
// in `h5dump -H -A` output: the /manifest group, dataspace sizes, and the
// lengths of the strings NeuroRD writes from its own internals
// (serialized_config, events/descriptions, event_statistics).
func MaskHeader(dump string) string {
	lines := strings.Split(dump, "\n")
	var out []string
	skipTo := ""
	maskStr := 0
	for _, l := range lines {
		if skipTo != "" {
			if l == skipTo {
				skipTo = ""
				out = append(out, l)
			}
			continue
		}
		trim := strings.TrimLeft(l, " ")
		indent := l[:len(l)-len(trim)]
		switch {
		case trim == `GROUP "manifest" {`:
			out = append(out, l, indent+"   (masked)")
			skipTo = indent + "}"
			continue
		case strings.HasPrefix(trim, "DATASPACE"):
			l = digits.ReplaceAllString(l, "#")
		case internal.MatchString(l):
			maskStr = 3
		case maskStr > 0 && strings.HasPrefix(trim, "STRSIZE"):
			l = indent + "STRSIZE #;"
			maskStr = 0
		}
		if maskStr > 0 {
			maskStr--
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// Storage returns, per dataset path, the storage description of
// `h5dump -p -H` (layout, chunk shape, filters, fill value, allocation
// time) without sizes and offsets.
func Storage(dump string) map[string]string {
	out := map[string]string{}
	var stack []string
	var cur *strings.Builder
	depth := 0
	for _, l := range strings.Split(dump, "\n") {
		trim := strings.TrimSpace(l)
		open := strings.HasSuffix(trim, "{")
		if open {
			f := strings.Fields(trim)
			name := ""
			if len(f) >= 2 && strings.HasPrefix(f[1], `"`) {
				name = strings.Trim(f[1], `"`)
			}
			if len(f) >= 1 && (f[0] == "GROUP" || f[0] == "DATASET") {
				stack = append(stack, name)
				if f[0] == "DATASET" {
					cur = &strings.Builder{}
					out[strings.Join(stack, "/")] = ""
				}
			} else {
				stack = append(stack, "")
			}
			if len(f) >= 1 && (f[0] == "STORAGE_LAYOUT" || f[0] == "FILTERS" || f[0] == "FILLVALUE" || f[0] == "ALLOCATION_TIME") {
				depth = len(stack)
			}
		}
		if depth > 0 && cur != nil && !strings.HasPrefix(trim, "SIZE") && !strings.HasPrefix(trim, "OFFSET") {
			cur.WriteString(trim + "\n")
		}
		if strings.HasPrefix(trim, "}") && len(stack) > 0 { // "}" or `} "member";`
			if depth == len(stack) {
				depth = 0
			}
			if cur != nil && len(stack) > 0 {
				path := strings.Join(stack, "/")
				if _, isDS := out[path]; isDS {
					out[path] = cur.String()
					cur = nil
				}
			}
			stack = stack[:len(stack)-1]
		}
	}
	return out
}

// Reader reads a dataset's shape and row-major bytes (the reader under
// test: package h5's).
type Reader func(name string) (shape []uint64, raw []byte, err error)

// SameBytes checks that read returns, for every dataset h5py read (with
// data), the same shape and bytes, and returns the number of datasets
// compared.
func SameBytes(t testing.TB, read Reader, py map[string]*Dataset) int {
	t.Helper()
	n := 0
	for name, d := range py {
		if d.Kind != "dataset" {
			continue
		}
		n++
		shape, raw, err := read(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(raw, d.Bytes(t)) {
			t.Errorf("%s: %d bytes read differ from h5py's %d", name, len(raw), len(d.Bytes(t)))
		}
		for i, x := range d.Shape {
			if i >= len(shape) || uint64(x) != shape[i] {
				t.Errorf("%s: shape %v, h5py %v", name, shape, d.Shape)
				break
			}
		}
	}
	return n
}

// ReaderOf returns package h5's reader of the datasets of the file at
// path.
func ReaderOf(t testing.TB, path string) Reader {
	f, err := h5.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	root, err := f.Root()
	if err != nil {
		t.Fatal(err)
	}
	return func(name string) ([]uint64, []byte, error) {
		d, err := root.Dataset(name)
		if err != nil {
			return nil, nil, err
		}
		raw, err := d.ReadRaw()
		return d.Shape, raw, err
	}
}
