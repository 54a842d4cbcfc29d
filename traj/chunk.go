package traj

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// Layout constants (see FORMAT.md).
const (
	fileMagic   = "SPINERDT"
	footerMagic = "SPINEND!"
	chunkMagic  = "CHNK"
	indexMagic  = "INDX"
	// chunkHead is the size of a chunk's fixed fields: magic, set,
	// frames, payload length, CRC, first and last time.
	chunkHead = 4 + 4 + 4 + 4 + 4 + 8 + 8
	footerLen = 8 + 8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// chunkInfo locates one chunk of frames.
type chunkInfo struct {
	Set           int
	Offset        int64 // of the chunk's magic
	Frames        int
	TFirst, TLast float64
	payloadLen    int
}

// encodeCounts appends the payload of frames of integer counts: the
// frame times as float64, then, column by column, each value minus the
// previous frame's value of that column (the first frame minus zero),
// zigzag-encoded as a uvarint. Counts change little between frames, so
// most deltas take one byte and compress further.
func encodeCounts(dst []byte, times []float64, vals []int64, cols int) []byte {
	for _, t := range times {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(t))
	}
	n := len(times)
	for c := 0; c < cols; c++ {
		prev := int64(0)
		for f := 0; f < n; f++ {
			v := vals[f*cols+c]
			d := v - prev
			prev = v
			dst = binary.AppendUvarint(dst, uint64(d<<1)^uint64(d>>63))
		}
	}
	return dst
}

// encodeFloats appends the payload of frames of real values: the times,
// then column by column the bits of each value XOR those of the previous
// frame's value of the column (smooth series share sign, exponent and
// leading mantissa bits, which become zero bytes).
func encodeFloats(dst []byte, times []float64, vals []float64, cols int) []byte {
	for _, t := range times {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(t))
	}
	n := len(times)
	for c := 0; c < cols; c++ {
		prev := uint64(0)
		for f := 0; f < n; f++ {
			b := math.Float64bits(vals[f*cols+c])
			dst = binary.LittleEndian.AppendUint64(dst, b^prev)
			prev = b
		}
	}
	return dst
}

var errCorrupt = errors.New("corrupt chunk payload")

// decodeTimes reads the n frame times of a payload.
func decodeTimes(p []byte, n int, times []float64) ([]float64, []byte, error) {
	if len(p) < 8*n {
		return nil, nil, errCorrupt
	}
	times = times[:0]
	for f := 0; f < n; f++ {
		times = append(times, math.Float64frombits(binary.LittleEndian.Uint64(p[8*f:])))
	}
	return times, p[8*n:], nil
}

// decodeCounts is the inverse of encodeCounts; vals gets n·cols values,
// frame-major.
func decodeCounts(p []byte, n, cols int, times []float64, vals []int64) ([]float64, []int64, error) {
	times, p, err := decodeTimes(p, n, times)
	if err != nil {
		return nil, nil, err
	}
	if len(p) < n*cols { // a varint is at least a byte: no allocation p cannot fill
		return nil, nil, errCorrupt
	}
	if cap(vals) < n*cols {
		vals = make([]int64, n*cols)
	}
	vals = vals[:n*cols]
	for c := 0; c < cols; c++ {
		prev := int64(0)
		for f := 0; f < n; f++ {
			u, k := binary.Uvarint(p)
			if k <= 0 {
				return nil, nil, errCorrupt
			}
			p = p[k:]
			prev += int64(u>>1) ^ -int64(u&1)
			vals[f*cols+c] = prev
		}
	}
	if len(p) != 0 {
		return nil, nil, errCorrupt
	}
	return times, vals, nil
}

// decodeFloats is the inverse of encodeFloats.
func decodeFloats(p []byte, n, cols int, times []float64, vals []float64) ([]float64, []float64, error) {
	times, p, err := decodeTimes(p, n, times)
	if err != nil {
		return nil, nil, err
	}
	if len(p) != 8*n*cols {
		return nil, nil, errCorrupt
	}
	if cap(vals) < n*cols {
		vals = make([]float64, n*cols)
	}
	vals = vals[:n*cols]
	for c := 0; c < cols; c++ {
		prev := uint64(0)
		for f := 0; f < n; f++ {
			b := binary.LittleEndian.Uint64(p[8*(c*n+f):]) ^ prev
			prev = b
			vals[f*cols+c] = math.Float64frombits(b)
		}
	}
	return times, vals, nil
}

// chunkHeader encodes a chunk's fixed fields; crc covers the fields after
// it and the compressed payload.
func chunkHeader(set, frames, plen int, tFirst, tLast float64, payload []byte) []byte {
	b := make([]byte, 0, chunkHead)
	b = append(b, chunkMagic...)
	b = binary.LittleEndian.AppendUint32(b, uint32(set))
	b = binary.LittleEndian.AppendUint32(b, uint32(frames))
	b = binary.LittleEndian.AppendUint32(b, uint32(plen))
	b = binary.LittleEndian.AppendUint32(b, 0) // CRC, filled below
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(tFirst))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(tLast))
	crc := crc32.Update(0, castagnoli, b[20:])
	crc = crc32.Update(crc, castagnoli, b[4:16])
	crc = crc32.Update(crc, castagnoli, payload)
	binary.LittleEndian.PutUint32(b[16:], crc)
	return b
}

// parseChunkHeader reads a chunk's fixed fields.
func parseChunkHeader(b []byte) (info chunkInfo, crc uint32, err error) {
	if len(b) < chunkHead || string(b[:4]) != chunkMagic {
		return info, 0, fmt.Errorf("no chunk marker")
	}
	info.Set = int(binary.LittleEndian.Uint32(b[4:]))
	info.Frames = int(binary.LittleEndian.Uint32(b[8:]))
	info.payloadLen = int(binary.LittleEndian.Uint32(b[12:]))
	crc = binary.LittleEndian.Uint32(b[16:])
	info.TFirst = math.Float64frombits(binary.LittleEndian.Uint64(b[20:]))
	info.TLast = math.Float64frombits(binary.LittleEndian.Uint64(b[28:]))
	return info, crc, nil
}

// checkChunk verifies a chunk's CRC given its fixed fields and payload.
func checkChunk(head, payload []byte, crc uint32) bool {
	c := crc32.Update(0, castagnoli, head[20:chunkHead])
	c = crc32.Update(c, castagnoli, head[4:16])
	c = crc32.Update(c, castagnoli, payload)
	return c == crc
}
