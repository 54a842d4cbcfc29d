package traj

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"

	"github.com/spinerd/spinerd/internal/fileerr"

	"github.com/klauspost/compress/zstd"
)

// Reader reads a trajectory file, a chunk at a time.
type Reader struct {
	path   string
	f      *os.File
	size   int64
	h      *Header
	chunks []chunkInfo
	// truncated is set when the file has no valid footer (its writer was
	// stopped): only the complete chunks were recovered.
	truncated bool
	recovered string
	dec       *zstd.Decoder
	buf, raw  []byte
}

// Open opens a trajectory. A file without a valid footer (a run that was
// killed, a .part file) is recovered: every complete chunk is read and
// Truncated reports what was lost.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, fileerr.Cause(err))
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	// DecodeAll decodes no more than its destination's capacity
	// (decodeAtMost): a small hostile payload cannot expand without bound.
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecodeAllCapLimit(true))
	if err != nil {
		f.Close()
		return nil, err
	}
	r := &Reader{path: path, f: f, size: st.Size(), dec: dec}
	start, err := r.readHeader()
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !r.readIndex(start) {
		r.scan(start)
	}
	return r, nil
}

// Close releases the file.
func (r *Reader) Close() error {
	r.dec.Close()
	return r.f.Close()
}

// Header returns the trajectory's header.
func (r *Reader) Header() *Header { return r.h }

// Truncated reports whether the file was cut (no valid footer) and, if
// so, a sentence saying what was recovered.
func (r *Reader) Truncated() (bool, string) { return r.truncated, r.recovered }

func (r *Reader) readAt(n int, off int64) ([]byte, error) {
	if cap(r.buf) < n {
		r.buf = make([]byte, n)
	}
	b := r.buf[:n]
	if _, err := r.f.ReadAt(b, off); err != nil {
		return nil, err
	}
	return b, nil
}

// readHeader reads the magic and header block; it returns the offset of
// the first chunk.
func (r *Reader) readHeader() (int64, error) {
	b, err := r.readAt(20, 0)
	if err != nil || string(b[:8]) != fileMagic {
		return 0, fmt.Errorf("not a spinerd trajectory (no %s magic)", fileMagic)
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != FormatVersion {
		return 0, fmt.Errorf("trajectory format version %d; this spinerd reads version %d", v, FormatVersion)
	}
	n := int(binary.LittleEndian.Uint32(b[12:]))
	crc := binary.LittleEndian.Uint32(b[16:])
	if int64(n) > r.size-20 {
		return 0, fmt.Errorf("header cut: the file ends inside it")
	}
	comp, err := r.readAt(n, 20)
	if err != nil {
		return 0, err
	}
	if crc32.Checksum(comp, castagnoli) != crc {
		return 0, fmt.Errorf("header checksum mismatch: the file is damaged")
	}
	js, err := decodeAtMost(r.dec, comp, nil, maxHeaderBytes)
	if err != nil {
		return 0, fmt.Errorf("header: %w", err)
	}
	h := &Header{}
	if err := json.Unmarshal(js, h); err != nil {
		return 0, fmt.Errorf("header: %w", err)
	}
	if err := h.validate(); err != nil {
		return 0, fmt.Errorf("header: %w", err)
	}
	for s := range h.Sets {
		if c := h.Columns(s); c > maxFrameValues {
			return 0, fmt.Errorf("header: output set %q has frames of %d values (%d species × %d voxels), more than %d", h.Sets[s].Name, c, len(h.Sets[s].Species), len(h.Sets[s].Voxels), maxFrameValues)
		}
	}
	r.h = h
	return 20 + int64(n), nil
}

// readIndex reads the footer and index; false if there is no valid one.
func (r *Reader) readIndex(start int64) bool {
	if r.size < start+footerLen {
		return false
	}
	b, err := r.readAt(footerLen, r.size-footerLen)
	if err != nil || string(b[8:]) != footerMagic {
		return false
	}
	off := int64(binary.LittleEndian.Uint64(b))
	if off < start || off > r.size-footerLen-12 {
		return false
	}
	idx, err := r.readAt(int(r.size-footerLen-off), off)
	if err != nil || string(idx[:4]) != indexMagic {
		return false
	}
	body := idx[:len(idx)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(idx[len(idx)-4:]) {
		return false
	}
	n := int(binary.LittleEndian.Uint32(idx[4:]))
	const entry = 4 + 8 + 4 + 4 + 8 + 8
	if len(body) != 8+n*entry {
		return false
	}
	chunks := make([]chunkInfo, n)
	for i := range chunks {
		e := body[8+i*entry:]
		chunks[i] = chunkInfo{
			Set:        int(binary.LittleEndian.Uint32(e)),
			Offset:     int64(binary.LittleEndian.Uint64(e[4:])),
			Frames:     int(binary.LittleEndian.Uint32(e[12:])),
			payloadLen: int(binary.LittleEndian.Uint32(e[16:])),
			TFirst:     math.Float64frombits(binary.LittleEndian.Uint64(e[20:])),
			TLast:      math.Float64frombits(binary.LittleEndian.Uint64(e[28:])),
		}
		if chunks[i].Set >= len(r.h.Sets) {
			return false
		}
	}
	r.chunks = chunks
	return true
}

// scan recovers the complete chunks of a file without a footer.
func (r *Reader) scan(start int64) {
	r.truncated = true
	off := start
	frames := 0
	last := math.NaN()
	reason := "it ends after the last complete chunk"
	for off < r.size {
		head, err := r.readAt(chunkHead, off)
		if err != nil {
			reason = fmt.Sprintf("it ends inside the chunk at byte %d", off)
			break
		}
		info, crc, err := parseChunkHeader(head)
		if err != nil {
			if string(head[:4]) == indexMagic {
				reason = "its index or footer is damaged"
			} else {
				reason = fmt.Sprintf("byte %d does not start a chunk", off)
			}
			break
		}
		headCopy := append([]byte(nil), head...)
		if off+chunkHead+int64(info.payloadLen) > r.size || info.Set >= len(r.h.Sets) {
			reason = fmt.Sprintf("it ends inside the chunk at byte %d", off)
			break
		}
		payload, err := r.readAt(info.payloadLen, off+chunkHead)
		if err != nil || !checkChunk(headCopy, payload, crc) {
			reason = fmt.Sprintf("the chunk at byte %d is incomplete or damaged", off)
			break
		}
		info.Offset = off
		r.chunks = append(r.chunks, info)
		frames += info.Frames
		last = info.TLast
		off += chunkHead + int64(info.payloadLen)
	}
	r.recovered = fmt.Sprintf("%s is cut (%s): recovered %d complete chunks, %d frames, up to t = %g ms (%d of %d bytes)",
		r.path, reason, len(r.chunks), frames, last, off, r.size)
}

// Bounds on what a reader decodes, so that a small hostile file cannot
// make it allocate without bound: a header's JSON (the spine model's is
// about 200 kB with its model text; a 10⁵-voxel mesh's about 20 MB), a
// frame's values (the spine model's 200 species on 300 000 voxels).
const (
	maxHeaderBytes = 1 << 28
	maxFrameValues = 1 << 26
)

// decodeAtMost decodes the zstd payload into dst[:0], refusing more than
// max bytes; dec limits DecodeAll to dst's capacity, which grows from a
// guess (16 times the payload) to max as needed.
func decodeAtMost(dec *zstd.Decoder, payload, dst []byte, max int) ([]byte, error) {
	size := min(max, 16*len(payload)+4096)
	for {
		if cap(dst) < size {
			dst = make([]byte, 0, size)
		}
		out, err := dec.DecodeAll(payload, dst[:0])
		if !errors.Is(err, zstd.ErrDecoderSizeExceeded) {
			return out, err
		}
		if size >= max {
			return nil, fmt.Errorf("it decodes to more than %d bytes", max)
		}
		size = min(max, 8*size)
	}
}

// ErrStop ends a Frames iteration early without an error.
var ErrStop = errors.New("stop")

// Frames calls fn for every frame of output set `set` with a time in
// [t0, t1], in time order, decoding one chunk at a time. counts (for a
// counts trajectory) or floats holds the frame's values, voxel-major
// (values[k*len(set.Species)+j] is species set.Species[j] in voxel
// set.Voxels[k]); the slice is reused after fn returns. Returning ErrStop
// from fn ends the iteration without an error.
func (r *Reader) Frames(set int, t0, t1 float64, fn func(t float64, counts []int64, floats []float64) error) error {
	if set < 0 || set >= len(r.h.Sets) {
		return fmt.Errorf("%s: no output set %d", r.path, set)
	}
	cols := r.h.Columns(set)
	var times []float64
	var ci []int64
	var cf []float64
	for _, c := range r.chunks {
		if c.Set != set || c.TLast < t0 || c.TFirst > t1 {
			continue
		}
		head, err := r.readAt(chunkHead, c.Offset)
		if err != nil {
			return fmt.Errorf("%s: %w", r.path, err)
		}
		info, crc, err := parseChunkHeader(head)
		if err != nil || info.payloadLen != c.payloadLen || info.Frames != c.Frames {
			return fmt.Errorf("%s: chunk at byte %d: index and chunk disagree", r.path, c.Offset)
		}
		if info.Frames < 1 || info.Frames > chunkFrames || info.Frames*cols >= chunkValues+cols {
			return fmt.Errorf("%s: chunk at byte %d holds %d frames of %d values, more than a writer puts in a chunk (%d frames, %d values and the frame that reaches them)", r.path, c.Offset, info.Frames, cols, chunkFrames, chunkValues)
		}
		headCopy := append([]byte(nil), head...)
		payload, err := r.readAt(c.payloadLen, c.Offset+chunkHead)
		if err != nil || !checkChunk(headCopy, payload, crc) {
			return fmt.Errorf("%s: chunk at byte %d is damaged", r.path, c.Offset)
		}
		maxRaw := info.Frames * (8 + cols*binary.MaxVarintLen64) // floats: 8 bytes a value
		r.raw, err = decodeAtMost(r.dec, payload, r.raw[:0], maxRaw)
		if err != nil {
			return fmt.Errorf("%s: chunk at byte %d: %w", r.path, c.Offset, err)
		}
		if r.h.Values == Counts {
			times, ci, err = decodeCounts(r.raw, c.Frames, cols, times, ci)
		} else {
			times, cf, err = decodeFloats(r.raw, c.Frames, cols, times, cf)
		}
		if err != nil {
			return fmt.Errorf("%s: chunk at byte %d: %w", r.path, c.Offset, err)
		}
		for f, t := range times {
			if t < t0 || t > t1 {
				continue
			}
			var err error
			if r.h.Values == Counts {
				err = fn(t, ci[f*cols:(f+1)*cols], nil)
			} else {
				err = fn(t, nil, cf[f*cols:(f+1)*cols])
			}
			if errors.Is(err, ErrStop) {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// IsTrajectory reports whether the file at path starts like a trajectory.
func IsTrajectory(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 8)
	_, err = io.ReadFull(f, b)
	return err == nil && string(b) == fileMagic
}
