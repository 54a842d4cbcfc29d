package gillespie

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/spinerd/spinerd/internal/testenv"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
)

// hashSink hashes every frame of every output set.
type hashSink struct {
	h        [32]byte
	frames   int
	buf      []byte
	negative int // counts below zero seen
}

func (s *hashSink) Counts(set int, t float64, c []int64) error {
	s.buf = binary.LittleEndian.AppendUint64(s.buf[:0], uint64(set))
	s.buf = binary.LittleEndian.AppendUint64(s.buf, math.Float64bits(t))
	for _, v := range c {
		s.buf = binary.LittleEndian.AppendUint64(s.buf, uint64(v))
		if v < 0 {
			s.negative++
		}
	}
	s.buf = append(s.buf, s.h[:]...)
	s.h = sha256.Sum256(s.buf)
	s.frames++
	return nil
}

// TestSameSeedSameOutput: a run is a function of the seed only: the same
// seed gives the same frames in two runs and for 1, 2, 4 and 8 workers,
// for every method, on a 9-voxel model with diffusion and injections.
func TestSameSeedSameOutput(t *testing.T) {
	path := filepath.Join(testenv.Testdata(t), "models", "neurord-examples", "Model_mglur_diff.xml")
	for _, method := range []string{"exact", "adaptive", "multiscale", "fixed"} {
		t.Run(method, func(t *testing.T) {
			m, _, err := neurord.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			sys, _, err := model.Compile(m, model.Options{Method: method, RuntimeMs: 230})
			if err != nil {
				t.Fatal(err)
			}
			var ref [32]byte
			for k, workers := range []int{1, 1, 2, 4, 8} {
				s := &hashSink{}
				if _, err := Run(context.Background(), sys, Options{Workers: workers}, 42, s); err != nil {
					t.Fatal(err)
				}
				if s.negative > 0 {
					t.Errorf("workers=%d: %d negative counts in the output", workers, s.negative)
				}
				if k == 0 {
					ref = s.h
					if s.frames < 10 {
						t.Fatalf("only %d frames", s.frames)
					}
					continue
				}
				if s.h != ref {
					t.Errorf("workers=%d (run %d): output differs", workers, k)
				}
			}
			s := &hashSink{}
			Run(context.Background(), sys, Options{}, 43, s)
			if s.h == ref {
				t.Error("seed 43 gave the same output as seed 42")
			}
		})
	}
	_ = fmt.Sprint
}
