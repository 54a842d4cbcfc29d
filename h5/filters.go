package h5

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zlib"
)

// unfilter undoes the filter pipeline on one stored chunk; want is the
// size of the decoded chunk.
func (d *Dataset) unfilter(raw []byte, mask uint32, want uint64) ([]byte, error) {
	data := raw
	for i := len(d.Filters) - 1; i >= 0; i-- {
		fl := &d.Filters[i]
		if i < 32 && mask&(1<<i) != 0 {
			continue
		}
		var err error
		switch fl.ID {
		case FilterDeflate:
			data, err = inflate(data, want)
		case FilterShuffle:
			size := d.Type.Size
			if len(fl.ClientData) > 0 {
				size = int(fl.ClientData[0])
			}
			data, err = unshuffle(data, size)
		case FilterFletcher32:
			if len(data) < 4 {
				return nil, errors.New("fletcher32: chunk shorter than its checksum")
			}
			sum := binary.LittleEndian.Uint32(data[len(data)-4:])
			data = data[:len(data)-4]
			if fletcher32(data) != sum && !fl.Optional {
				return nil, errors.New("fletcher32 checksum mismatch: data corrupt")
			}
		default:
			return nil, fmt.Errorf("filter %d (%s) is not supported", fl.ID, fl.Name)
		}
		if err != nil {
			return nil, err
		}
	}
	return data, nil
}

// inflate decompresses zlib data of at most want bytes.
func inflate(p []byte, want uint64) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(p))
	if err != nil {
		return nil, fmt.Errorf("deflate: %w", err)
	}
	defer zr.Close()
	out := make([]byte, 0, min(want, uint64(len(p))*maxDeflateRatio+64))
	buf := bytes.NewBuffer(out)
	n, err := io.Copy(buf, io.LimitReader(zr, int64(want)+1))
	if err != nil {
		return nil, fmt.Errorf("deflate: %w", err)
	}
	if uint64(n) > want {
		return nil, fmt.Errorf("deflate: chunk expands beyond its %d bytes", want)
	}
	return buf.Bytes(), nil
}

// shuffle regroups n elements of size bytes so that all first bytes
// come first, then all second bytes, … (HDF5's shuffle filter). Bytes
// after the last whole element stay where they are.
func shuffle(dst, src []byte, size int) {
	n := len(src) / size
	for b := 0; b < size; b++ {
		out := dst[b*n : (b+1)*n]
		for i := range out {
			out[i] = src[i*size+b]
		}
	}
	copy(dst[n*size:], src[n*size:])
}

func unshuffle(p []byte, size int) ([]byte, error) {
	if size <= 1 {
		return p, nil
	}
	if size > len(p) && len(p) > 0 {
		return p, nil
	}
	n := len(p) / size
	out := make([]byte, len(p))
	for b := 0; b < size; b++ {
		in := p[b*n : (b+1)*n]
		for i, x := range in {
			out[i*size+b] = x
		}
	}
	copy(out[n*size:], p[n*size:])
	return out, nil
}

// fletcher32 is HDF5's Fletcher-32 checksum.
func fletcher32(p []byte) uint32 {
	var s1, s2 uint32
	n := len(p) / 2
	for i := 0; i < n; i++ {
		s1 += uint32(p[2*i])<<8 | uint32(p[2*i+1])
		s1 = (s1 & 0xffff) + (s1 >> 16)
		s2 += s1
		s2 = (s2 & 0xffff) + (s2 >> 16)
	}
	if len(p)%2 == 1 {
		s1 += uint32(p[len(p)-1]) << 8
		s1 = (s1 & 0xffff) + (s1 >> 16)
		s2 += s1
		s2 = (s2 & 0xffff) + (s2 >> 16)
	}
	s1 = (s1 & 0xffff) + (s1 >> 16)
	s2 = (s2 & 0xffff) + (s2 >> 16)
	return s2<<16 | s1
}

// compressor applies a write pipeline (shuffle, deflate) to chunks and
// reuses its buffers between chunks.
type compressor struct {
	shuffle bool
	level   int // deflate level, or -1 for none
	size    int // element size
	tmp     []byte
	out     bytes.Buffer
	zw      *zlib.Writer
}

func newCompressor(shuf bool, level, size int) *compressor {
	return &compressor{shuffle: shuf, level: level, size: size}
}

// apply returns the filtered chunk (valid until the next call).
func (c *compressor) apply(chunk []byte) ([]byte, error) {
	data := chunk
	if c.shuffle && c.size > 1 {
		if cap(c.tmp) < len(chunk) {
			c.tmp = make([]byte, len(chunk))
		}
		c.tmp = c.tmp[:len(chunk)]
		shuffle(c.tmp, chunk, c.size)
		data = c.tmp
	}
	if c.level < 0 {
		return data, nil
	}
	c.out.Reset()
	if c.zw == nil {
		zw, err := zlib.NewWriterLevel(&c.out, c.level)
		if err != nil {
			return nil, err
		}
		c.zw = zw
	} else {
		c.zw.Reset(&c.out)
	}
	if _, err := c.zw.Write(data); err != nil {
		return nil, err
	}
	if err := c.zw.Close(); err != nil {
		return nil, err
	}
	return c.out.Bytes(), nil
}
