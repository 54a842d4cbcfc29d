package ensemble

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spinerd/spinerd/output"
	"github.com/spinerd/spinerd/runfile"
)

// Merge combines the directories of shard runs of one study into out,
// laid out as a single run's directory (the per-seed trajectories, the
// manifest and the summary), with the summary a single run would have
// written: the same numbers, bit for bit. It refuses directories of
// different models or settings, and a study with seeds missing.
func Merge(dirs []string, out string, quantiles []float64) (*Manifest, error) {
	ref, all, where, err := locate(dirs)
	if err != nil {
		return nil, err
	}
	if quantiles == nil {
		quantiles = ref.Quantiles
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	files := make([]string, len(all))
	for i, s := range all {
		src := filepath.Join(where[s], SeedFile(s))
		dst := filepath.Join(out, SeedFile(s))
		if _, err := os.Stat(src); err != nil {
			return nil, fmt.Errorf("merge: seed %d: %w (did that shard finish?)", s, err)
		}
		if err := place(src, dst); err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		files[i] = dst
	}
	m := *ref
	m.Shard = ""
	m.ShardSeeds = ref.Seeds
	m.Quantiles = quantiles
	if err := writeManifest(out, &m); err != nil {
		return nil, err
	}
	if err := Summarize(files, filepath.Join(out, SummaryName), quantiles); err != nil {
		return nil, err
	}
	return &m, nil
}

// GatherH5 writes the seeds of one study (the directories of its shards,
// or one run's directory) into one NeuroRD HDF5 file, as NeuroRD writes
// several trials: trial0, trial1, … in the order of the study's seed
// list, each with its seed.
func GatherH5(dirs []string, out string) (*Manifest, error) {
	ref, all, where, err := locate(dirs)
	if err != nil {
		return nil, err
	}
	var runs []runfile.Run
	defer func() {
		for _, r := range runs {
			r.Close()
		}
	}()
	for _, s := range all {
		r, err := runfile.Open(filepath.Join(where[s], SeedFile(s)))
		if err != nil {
			return nil, fmt.Errorf("merge: seed %d: %w", s, err)
		}
		runs = append(runs, r)
	}
	if err := output.WriteTrials(out, runs); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	return ref, nil
}

// locate reads the manifests of dirs, checks that they are shards of one
// study that together hold every seed, and returns the first manifest,
// the study's seeds and the directory of each.
func locate(dirs []string) (*Manifest, []uint64, map[uint64]string, error) {
	if len(dirs) == 0 {
		return nil, nil, nil, errors.New("merge: no directories")
	}
	var ref *Manifest
	where := map[uint64]string{}
	for _, d := range dirs {
		m, err := ReadManifest(d)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("merge: %s is not an ensemble directory: %w", d, err)
		}
		if ref == nil {
			ref = m
		} else if diff := sameStudy(ref, m); diff != "" {
			return nil, nil, nil, fmt.Errorf("merge: %s and %s are not shards of one study: %s", dirs[0], d, diff)
		}
		seeds, err := ParseSeeds(m.ShardSeeds)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("merge: %s: %w", d, err)
		}
		for _, s := range seeds {
			if other, dup := where[s]; dup {
				return nil, nil, nil, fmt.Errorf("merge: seed %d is in both %s and %s", s, other, d)
			}
			where[s] = d
		}
	}
	all, err := ParseSeeds(ref.Seeds)
	if err != nil {
		return nil, nil, nil, err
	}
	var missing []uint64
	for _, s := range all {
		if _, ok := where[s]; !ok {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		return nil, nil, nil, fmt.Errorf("merge: seeds %s of %s are in none of the directories (a shard missing?)", FormatSeeds(missing), ref.Seeds)
	}
	return ref, all, where, nil
}

// place puts a copy of src at dst: a hard link where possible, else a
// copy written to a temporary file and renamed.
func place(src, dst string) error {
	if a, err := filepath.Abs(src); err == nil {
		if b, err := filepath.Abs(dst); err == nil && a == b {
			return nil
		}
	}
	if si, err := os.Stat(src); err == nil {
		if di, err := os.Stat(dst); err == nil && os.SameFile(si, di) {
			return nil
		}
	}
	os.Remove(dst)
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".part"
	o, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := io.Copy(o, in); err != nil {
		o.Close()
		os.Remove(tmp)
		return fmt.Errorf("copying %s: %w", src, err)
	}
	if err := o.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("%s: %w", strings.TrimSuffix(tmp, ".part"), err)
	}
	return nil
}
