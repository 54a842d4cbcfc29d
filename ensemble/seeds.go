package ensemble

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// maxSeeds is the most seeds a list may hold (ParseSeeds).
const maxSeeds = 1_000_000

// ParseSeeds reads a seed list: comma-separated seeds and inclusive
// ranges, e.g. "1-16" or "3,5,9" or "1-4,10". Seeds are positive; a seed
// may not repeat; a list holds at most a million. The order is kept (it
// is the order of reduction).
func ParseSeeds(s string) ([]uint64, error) {
	var out []uint64
	seen := map[uint64]bool{}
	add := func(v uint64) error {
		if seen[v] {
			return fmt.Errorf("seed %d given twice in %q", v, s)
		}
		seen[v] = true
		out = append(out, v)
		return nil
	}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(f, "-")
		a, err := strconv.ParseUint(strings.TrimSpace(lo), 10, 64)
		if err != nil || a == 0 {
			return nil, fmt.Errorf("bad seed %q in %q (seeds are positive integers; ranges are A-B)", f, s)
		}
		if !isRange {
			if err := add(a); err != nil {
				return nil, err
			}
			continue
		}
		b, err := strconv.ParseUint(strings.TrimSpace(hi), 10, 64)
		if err != nil || b < a {
			return nil, fmt.Errorf("bad seed range %q in %q", f, s)
		}
		if b-a >= maxSeeds || uint64(len(out))+(b-a+1) > maxSeeds {
			return nil, fmt.Errorf("seed list %q has more than a million seeds", s)
		}
		for v := a; ; v++ { // v <= b would never end at b = 2^64−1
			if err := add(v); err != nil {
				return nil, err
			}
			if v == b {
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no seeds in %q", s)
	}
	return out, nil
}

// FormatSeeds writes seeds compactly ("1-16,20").
func FormatSeeds(seeds []uint64) string {
	var b strings.Builder
	for i := 0; i < len(seeds); {
		j := i
		for j+1 < len(seeds) && seeds[j+1] == seeds[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if j > i {
			fmt.Fprintf(&b, "%d-%d", seeds[i], seeds[j])
		} else {
			fmt.Fprintf(&b, "%d", seeds[i])
		}
		i = j + 1
	}
	return b.String()
}

// Shard is the slice i of n (1-based) of a seed list.
type Shard struct{ I, N int }

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.I, s.N) }

// All reports whether the shard is the whole list.
func (s Shard) All() bool { return s.N <= 1 }

// ParseShard reads "i/n".
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return Shard{}, fmt.Errorf("bad shard %q: want i/n with 1 ≤ i ≤ n, e.g. 2/3", s)
	}
	return Shard{i, n}, nil
}

// ShardFromEnv returns the shard a cluster job array assigns to this
// process: Slurm (SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN + 1 of
// SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job
// (JOB_COMPLETION_INDEX + 1 of shards, or of SPINERD_SHARDS when shards
// is 0). ok is false when neither is set.
func ShardFromEnv(getenv func(string) string, shards int) (sh Shard, ok bool, err error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if id := getenv("SLURM_ARRAY_TASK_ID"); id != "" {
		num := func(name string) (int, error) {
			v, err := strconv.Atoi(strings.TrimSpace(getenv(name)))
			if err != nil {
				return 0, fmt.Errorf("%s=%q is not an integer", name, getenv(name))
			}
			return v, nil
		}
		task, err := num("SLURM_ARRAY_TASK_ID")
		if err != nil {
			return sh, false, err
		}
		lo, err := num("SLURM_ARRAY_TASK_MIN")
		if err != nil {
			return sh, false, err
		}
		count, err := num("SLURM_ARRAY_TASK_COUNT")
		if err != nil {
			return sh, false, err
		}
		sh = Shard{task - lo + 1, count}
		if sh.I < 1 || sh.I > sh.N {
			return sh, false, fmt.Errorf("Slurm array task %d (min %d, count %d) gives shard %s (array ids must be consecutive)", task, lo, count, sh)
		}
		return sh, true, nil
	}
	if idx := getenv("JOB_COMPLETION_INDEX"); idx != "" {
		i, err := strconv.Atoi(strings.TrimSpace(idx))
		if err != nil || i < 0 {
			return sh, false, fmt.Errorf("JOB_COMPLETION_INDEX=%q is not an index", idx)
		}
		n := shards
		if n == 0 {
			if v := getenv("SPINERD_SHARDS"); v != "" {
				if n, err = strconv.Atoi(strings.TrimSpace(v)); err != nil {
					return sh, false, fmt.Errorf("SPINERD_SHARDS=%q is not an integer", v)
				}
			}
		}
		if n < 1 {
			return sh, false, fmt.Errorf("JOB_COMPLETION_INDEX is set but the number of shards is not: give --shards N (the Job's completions) or SPINERD_SHARDS")
		}
		sh = Shard{i + 1, n}
		if sh.I > sh.N {
			return sh, false, fmt.Errorf("JOB_COMPLETION_INDEX %d is outside %d shards", i, n)
		}
		return sh, true, nil
	}
	return sh, false, nil
}

// Select returns the shard's seeds: the i-th of n contiguous, nearly equal
// blocks of the list.
func (s Shard) Select(seeds []uint64) []uint64 {
	if s.All() {
		return seeds
	}
	n := len(seeds)
	return seeds[(s.I-1)*n/s.N : s.I*n/s.N]
}
