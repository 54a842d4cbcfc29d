package traj

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/spinerd/spinerd/internal/atomicfile"
)

// Chunking: a set's buffered frames become a chunk when there are this
// many, when they hold this many values, or when the last chunk of the
// set was written this long ago (so that a killed run loses little).
const (
	chunkFrames = 256
	chunkValues = 1 << 20
	chunkAge    = 10 * time.Second
)

// Writer writes a trajectory file. Frames go to Counts (stochastic runs)
// or Values (deterministic runs), one output set at a time; Close adds the
// index and footer. Until Close succeeds the file is PATH.part, readable
// (every complete chunk is recovered) but never mistaken for a complete
// trajectory; Close renames it to PATH. A PATH that exists and is not a
// regular file (atomicfile.Target.Direct: /dev/null, a pipe) is written in place.
type Writer struct {
	t         *atomicfile.Target // t.Temp: PATH.part, or PATH when Direct
	w         *bufio.Writer
	off       int64
	h         *Header
	enc       *zstd.Encoder
	sets      []pending
	index     []chunkInfo
	raw, comp []byte
	err       error
	closed    bool
	// reproducible: no age-based chunk cuts.
	reproducible bool
}

type pending struct {
	times   []float64
	counts  []int64
	floats  []float64
	written time.Time
}

// Options tune a Writer.
type Options struct {
	// Reproducible makes the bytes of the file a function of its header
	// and frames only: chunks are cut by size, never by the wall-clock age
	// that otherwise bounds what a killed run loses. (Leave
	// Header.Created empty too.) Ensembles use it so that a seed's file is
	// identical however the seeds were scheduled.
	Reproducible bool
}

// Create starts a trajectory at path (written as path.part until Close).
func Create(path string, h *Header) (*Writer, error) { return CreateWith(path, h, Options{}) }

// CreateWith is Create with options.
func CreateWith(path string, h *Header, opt Options) (*Writer, error) {
	if err := h.validate(); err != nil {
		return nil, fmt.Errorf("trajectory header: %w", err)
	}
	hd := *h
	hd.FormatVersion = FormatVersion
	t, err := atomicfile.OpenPart(path, path+".part")
	if err != nil {
		return nil, err
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(false))
	if err != nil {
		t.Discard()
		return nil, err
	}
	w := &Writer{t: t, w: bufio.NewWriterSize(t.F, 1<<16), h: &hd, enc: enc, sets: make([]pending, len(hd.Sets)), reproducible: opt.Reproducible}
	now := time.Now()
	for i := range w.sets {
		w.sets[i].written = now
	}
	js, err := hd.marshal()
	if err != nil {
		w.Abort()
		return nil, err
	}
	comp := enc.EncodeAll(js, nil)
	head := append([]byte(fileMagic), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(head[8:], FormatVersion)
	head = binary.LittleEndian.AppendUint32(head, uint32(len(comp)))
	head = binary.LittleEndian.AppendUint32(head, crc32.Checksum(comp, castagnoli))
	w.write(head)
	w.write(comp)
	if w.err == nil {
		w.err = w.w.Flush()
	}
	if w.err != nil {
		err := w.err
		w.Abort()
		return nil, fmt.Errorf("writing %s: %w", t.Temp, err)
	}
	return w, nil
}

func (w *Writer) write(b []byte) {
	if w.err != nil {
		return
	}
	_, w.err = w.w.Write(b)
	w.off += int64(len(b))
}

// Header returns the header being written.
func (w *Writer) Header() *Header { return w.h }

// Counts adds a frame of integer counts to set (the model.Sink method).
func (w *Writer) Counts(set int, t float64, counts []int64) error {
	if w.h.Values != Counts {
		return fmt.Errorf("trajectory holds %s, not counts", w.h.Values)
	}
	if err := w.check(set, len(counts)); err != nil {
		return err
	}
	p := &w.sets[set]
	p.times = append(p.times, t)
	p.counts = append(p.counts, counts...)
	return w.maybeFlush(set)
}

// Values adds a frame of real values to set.
func (w *Writer) Values(set int, t float64, vals []float64) error {
	if w.h.Values != Floats {
		return fmt.Errorf("trajectory holds %s, not floats", w.h.Values)
	}
	if err := w.check(set, len(vals)); err != nil {
		return err
	}
	p := &w.sets[set]
	p.times = append(p.times, t)
	p.floats = append(p.floats, vals...)
	return w.maybeFlush(set)
}

func (w *Writer) check(set, n int) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return fmt.Errorf("trajectory %s is closed", w.t.Path)
	}
	if set < 0 || set >= len(w.sets) {
		return fmt.Errorf("no output set %d", set)
	}
	if c := w.h.Columns(set); n != c {
		return fmt.Errorf("set %d: frame of %d values, want %d", set, n, c)
	}
	return nil
}

func (w *Writer) maybeFlush(set int) error {
	p := &w.sets[set]
	if len(p.times) >= chunkFrames || len(p.counts)+len(p.floats) >= chunkValues || !w.reproducible && time.Since(p.written) > chunkAge {
		return w.flushSet(set)
	}
	return nil
}

// flushSet writes the buffered frames of set as one chunk.
func (w *Writer) flushSet(set int) error {
	p := &w.sets[set]
	n := len(p.times)
	if n == 0 || w.err != nil {
		return w.err
	}
	cols := w.h.Columns(set)
	if w.h.Values == Counts {
		w.raw = encodeCounts(w.raw[:0], p.times, p.counts, cols)
	} else {
		w.raw = encodeFloats(w.raw[:0], p.times, p.floats, cols)
	}
	w.comp = w.enc.EncodeAll(w.raw, w.comp[:0])
	info := chunkInfo{Set: set, Offset: w.off, Frames: n, TFirst: p.times[0], TLast: p.times[n-1], payloadLen: len(w.comp)}
	w.write(chunkHeader(set, n, len(w.comp), info.TFirst, info.TLast, w.comp))
	w.write(w.comp)
	if w.err == nil {
		w.err = w.w.Flush() // a complete chunk reaches the file at once
	}
	if w.err != nil {
		return fmt.Errorf("writing %s: %w", w.t.Temp, w.err)
	}
	w.index = append(w.index, info)
	p.times, p.counts, p.floats = p.times[:0], p.counts[:0], p.floats[:0]
	p.written = time.Now()
	return nil
}

// Flush writes every buffered frame as chunks now.
func (w *Writer) Flush() error {
	for s := range w.sets {
		if err := w.flushSet(s); err != nil {
			return err
		}
	}
	return nil
}

// Close writes the remaining frames, the index and the footer, syncs the
// file and gives it its final name.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	if err := w.Flush(); err != nil {
		w.closed = true
		w.enc.Close()
		w.t.Finish() // the .part stays: its complete chunks are readable
		return err
	}
	w.closed = true
	idxOff := w.off
	b := []byte(indexMagic)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(w.index)))
	for _, c := range w.index {
		b = binary.LittleEndian.AppendUint32(b, uint32(c.Set))
		b = binary.LittleEndian.AppendUint64(b, uint64(c.Offset))
		b = binary.LittleEndian.AppendUint32(b, uint32(c.Frames))
		b = binary.LittleEndian.AppendUint32(b, uint32(c.payloadLen))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(c.TFirst))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(c.TLast))
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	b = binary.LittleEndian.AppendUint64(b, uint64(idxOff))
	b = append(b, footerMagic...)
	w.write(b)
	if w.err == nil {
		w.err = w.w.Flush()
	}
	w.enc.Close()
	if w.err != nil {
		w.t.Finish() // the .part stays: its complete chunks are readable
		return fmt.Errorf("writing %s: %w", w.t.Temp, w.err)
	}
	if w.err = w.t.Finish(); w.err == nil {
		w.err = w.t.Publish()
	}
	return w.err
}

// Abort stops writing: buffered frames are dropped and the .part file is
// removed.
func (w *Writer) Abort() {
	if !w.closed {
		w.closed = true
		w.enc.Close()
	}
	w.t.Discard()
}

// PartPath returns the name the file has while it is written.
func PartPath(path string) string { return filepath.Clean(path) + ".part" }
