package h5

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// Class is an HDF5 datatype class.
type Class uint8

// Datatype classes (only Int, Float, String and Compound are interpreted;
// the others can be read as raw bytes).
const (
	ClassInt      Class = 0
	ClassFloat    Class = 1
	ClassTime     Class = 2
	ClassString   Class = 3
	ClassBitfield Class = 4
	ClassOpaque   Class = 5
	ClassCompound Class = 6
	ClassRef      Class = 7
	ClassEnum     Class = 8
	ClassVarLen   Class = 9
	ClassArray    Class = 10
)

var classNames = [...]string{"integer", "float", "time", "string", "bitfield", "opaque", "compound", "reference", "enum", "variable-length", "array"}

func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("class %d", int(c))
}

// CharSet is the character set of a string type.
type CharSet uint8

// Character sets.
const (
	ASCII CharSet = 0
	UTF8  CharSet = 1
)

// StrPad is how a fixed-length string fills its unused bytes.
type StrPad uint8

// String paddings.
const (
	NullTerm StrPad = 0 // NUL-terminated (NUL-padded after the terminator)
	NullPad  StrPad = 1 // NUL-padded, no terminator needed
	SpacePad StrPad = 2 // space-padded
)

// Datatype describes an element type. The zero value is invalid; build
// types with Int, Float64, String and Compound.
type Datatype struct {
	Class Class
	// Size is the element size in bytes.
	Size int
	// BigEndian is the byte order of Int and Float types.
	BigEndian bool
	// Signed applies to Int types.
	Signed bool
	// CharSet and Pad apply to String types.
	CharSet CharSet
	Pad     StrPad
	// Members are the fields of a Compound type, in file order.
	Members []Member
	// float layout (IEEE 754 for the types this package builds)
	float floatLayout
}

// Member is one field of a compound type.
type Member struct {
	Name   string
	Offset int
	Type   Datatype
}

type floatLayout struct {
	signLoc, expLoc, expSize, mantLoc, mantSize uint8
	expBias                                     uint32
	precision                                   uint16
}

// Int returns a little-endian integer type of size bytes (1, 2, 4 or 8).
func Int(size int, signed bool) Datatype {
	return Datatype{Class: ClassInt, Size: size, Signed: signed}
}

// Float64 returns the little-endian IEEE 754 double type.
func Float64() Datatype {
	return Datatype{Class: ClassFloat, Size: 8, float: floatLayout{signLoc: 63, expLoc: 52, expSize: 11, mantLoc: 0, mantSize: 52, expBias: 1023, precision: 64}}
}

// Float32 returns the little-endian IEEE 754 single type.
func Float32() Datatype {
	return Datatype{Class: ClassFloat, Size: 4, float: floatLayout{signLoc: 31, expLoc: 23, expSize: 8, mantLoc: 0, mantSize: 23, expBias: 127, precision: 32}}
}

// String returns a fixed-length string type of size bytes.
func String(size int, cs CharSet, pad StrPad) Datatype {
	return Datatype{Class: ClassString, Size: size, CharSet: cs, Pad: pad}
}

// Field is a compound member to be laid out by Compound.
type Field struct {
	Name string
	Type Datatype
}

// Compound returns a packed compound type of the fields in order (no
// alignment padding, as NeuroRD's grid is stored).
func Compound(fields ...Field) Datatype {
	t := Datatype{Class: ClassCompound}
	for _, f := range fields {
		t.Members = append(t.Members, Member{Name: f.Name, Offset: t.Size, Type: f.Type})
		t.Size += f.Type.Size
	}
	return t
}

// Member returns the compound member with the given name.
func (t *Datatype) Member(name string) (*Member, bool) {
	for i := range t.Members {
		if t.Members[i].Name == name {
			return &t.Members[i], true
		}
	}
	return nil, false
}

// String describes the type in h5dump's words.
func (t Datatype) String() string {
	order := "LE"
	if t.BigEndian {
		order = "BE"
	}
	switch t.Class {
	case ClassInt:
		s := "U"
		if t.Signed {
			s = "I"
		}
		return fmt.Sprintf("H5T_STD_%s%d%s", s, 8*t.Size, order)
	case ClassFloat:
		return fmt.Sprintf("H5T_IEEE_F%d%s", 8*t.Size, order)
	case ClassString:
		cs := "ASCII"
		if t.CharSet == UTF8 {
			cs = "UTF8"
		}
		return fmt.Sprintf("string(%d, %s, pad %d)", t.Size, cs, t.Pad)
	case ClassCompound:
		var parts []string
		for _, m := range t.Members {
			parts = append(parts, fmt.Sprintf("%s@%d:%s", m.Name, m.Offset, m.Type))
		}
		return "compound{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprintf("%s(%d bytes)", t.Class, t.Size)
}

// Equal reports whether two types describe the same layout.
func (t *Datatype) Equal(u *Datatype) bool {
	if t.Class != u.Class || t.Size != u.Size {
		return false
	}
	switch t.Class {
	case ClassInt:
		return t.Signed == u.Signed && t.BigEndian == u.BigEndian
	case ClassFloat:
		return t.BigEndian == u.BigEndian
	case ClassString:
		return t.CharSet == u.CharSet && t.Pad == u.Pad
	case ClassCompound:
		if len(t.Members) != len(u.Members) {
			return false
		}
		for i := range t.Members {
			a, b := &t.Members[i], &u.Members[i]
			if a.Name != b.Name || a.Offset != b.Offset || !a.Type.Equal(&b.Type) {
				return false
			}
		}
	}
	return true
}

// validate checks a type built by a caller before it is written.
func (t *Datatype) validate() error {
	switch t.Class {
	case ClassInt:
		if t.Size != 1 && t.Size != 2 && t.Size != 4 && t.Size != 8 {
			return fmt.Errorf("integer size %d is not 1, 2, 4 or 8", t.Size)
		}
	case ClassFloat:
		if (t.Size != 4 && t.Size != 8) || t.float.precision == 0 {
			return fmt.Errorf("float type of size %d: build it with Float64 or Float32", t.Size)
		}
	case ClassString:
		if t.Size < 1 || t.Size > math.MaxInt32 {
			return fmt.Errorf("string size %d out of range", t.Size)
		}
		if t.CharSet > UTF8 || t.Pad > SpacePad {
			return fmt.Errorf("string charset %d or padding %d unknown", t.CharSet, t.Pad)
		}
	case ClassCompound:
		if len(t.Members) == 0 || len(t.Members) > 0xffff {
			return fmt.Errorf("compound type with %d members", len(t.Members))
		}
		for i := range t.Members {
			m := &t.Members[i]
			if m.Name == "" || strings.IndexByte(m.Name, 0) >= 0 {
				return fmt.Errorf("compound member name %q", m.Name)
			}
			if err := m.Type.validate(); err != nil {
				return fmt.Errorf("compound member %q: %w", m.Name, err)
			}
			if m.Type.Class == ClassCompound {
				return fmt.Errorf("compound member %q: nested compounds are not supported", m.Name)
			}
			if m.Offset < 0 || m.Offset+m.Type.Size > t.Size {
				return fmt.Errorf("compound member %q at %d..%d outside the %d-byte type", m.Name, m.Offset, m.Offset+m.Type.Size, t.Size)
			}
		}
	default:
		return fmt.Errorf("writing %s types is not supported", t.Class)
	}
	if t.BigEndian {
		return fmt.Errorf("writing big-endian types is not supported")
	}
	return nil
}

// encode appends the datatype message body (version 1; compound members
// in the version 1 layout, which every HDF5 reader accepts).
func (t *Datatype) encode(b []byte) []byte {
	var bits [3]byte
	switch t.Class {
	case ClassInt:
		if t.Signed {
			bits[0] |= 0x08
		}
	case ClassFloat:
		bits[0] = 0x20 // mantissa normalization: implied leading 1
		bits[1] = t.float.signLoc
	case ClassString:
		bits[0] = byte(t.Pad) | byte(t.CharSet)<<4
	case ClassCompound:
		binary.LittleEndian.PutUint16(bits[:2], uint16(len(t.Members)))
	}
	b = append(b, 0x10|byte(t.Class), bits[0], bits[1], bits[2])
	b = binary.LittleEndian.AppendUint32(b, uint32(t.Size))
	switch t.Class {
	case ClassInt:
		b = binary.LittleEndian.AppendUint16(b, 0)
		b = binary.LittleEndian.AppendUint16(b, uint16(8*t.Size))
	case ClassFloat:
		f := &t.float
		b = binary.LittleEndian.AppendUint16(b, 0)
		b = binary.LittleEndian.AppendUint16(b, f.precision)
		b = append(b, f.expLoc, f.expSize, f.mantLoc, f.mantSize)
		b = binary.LittleEndian.AppendUint32(b, f.expBias)
	case ClassCompound:
		for i := range t.Members {
			m := &t.Members[i]
			b = append(b, m.Name...)
			b = append(b, 0)
			b = pad8(b, len(m.Name)+1)
			b = binary.LittleEndian.AppendUint32(b, uint32(m.Offset))
			b = append(b, 0, 0, 0, 0)             // dimensionality 0, reserved
			b = append(b, 0, 0, 0, 0, 0, 0, 0, 0) // permutation, reserved
			b = append(b, make([]byte, 16)...)    // dimension sizes
			b = m.Type.encode(b)
		}
	}
	return b
}

// pad8 appends zeros so that n bytes become a multiple of 8.
func pad8(b []byte, n int) []byte {
	for n%8 != 0 {
		b = append(b, 0)
		n++
	}
	return b
}

const maxTypeDepth = 8

// decodeDatatype parses a datatype message body and returns the type
// and the number of bytes it used.
func decodeDatatype(p []byte, depth int) (Datatype, int, error) {
	var t Datatype
	if depth > maxTypeDepth {
		return t, 0, fmt.Errorf("datatype nested deeper than %d", maxTypeDepth)
	}
	if len(p) < 8 {
		return t, 0, errShort("datatype")
	}
	version := p[0] >> 4
	t.Class = Class(p[0] & 0x0f)
	bits := [3]byte{p[1], p[2], p[3]}
	size := binary.LittleEndian.Uint32(p[4:8])
	if size == 0 || size > 1<<30 {
		return t, 0, fmt.Errorf("datatype size %d out of range", size)
	}
	t.Size = int(size)
	if version < 1 || version > 4 {
		return t, 0, fmt.Errorf("datatype version %d unknown", version)
	}
	n := 8
	switch t.Class {
	case ClassInt:
		t.BigEndian = bits[0]&1 != 0
		t.Signed = bits[0]&0x08 != 0
		if len(p) < n+4 {
			return t, 0, errShort("integer type")
		}
		n += 4
	case ClassFloat:
		t.BigEndian = bits[0]&1 != 0
		if bits[0]&0x40 != 0 {
			return t, 0, fmt.Errorf("VAX-order floats are not supported")
		}
		if len(p) < n+12 {
			return t, 0, errShort("float type")
		}
		t.float = floatLayout{signLoc: bits[1], precision: binary.LittleEndian.Uint16(p[n+2:]),
			expLoc: p[n+4], expSize: p[n+5], mantLoc: p[n+6], mantSize: p[n+7], expBias: binary.LittleEndian.Uint32(p[n+8:])}
		n += 12
	case ClassString:
		t.Pad = StrPad(bits[0] & 0x0f)
		t.CharSet = CharSet(bits[0] >> 4)
	case ClassBitfield:
		n += 4
	case ClassTime:
		n += 2
	case ClassOpaque:
		tag := int(bits[0])
		n += tag
	case ClassCompound:
		nm := int(binary.LittleEndian.Uint16(bits[:2]))
		for i := 0; i < nm; i++ {
			if n >= len(p) {
				return t, 0, errShort("compound type")
			}
			end := indexByte(p[n:], 0)
			if end < 0 {
				return t, 0, errShort("compound member name")
			}
			m := Member{Name: string(p[n : n+end])}
			if version < 3 {
				n += (end + 8) / 8 * 8
			} else {
				n += end + 1
			}
			switch {
			case version < 3:
				if len(p) < n+4 {
					return t, 0, errShort("compound member")
				}
				m.Offset = int(binary.LittleEndian.Uint32(p[n:]))
				n += 4
				if version == 1 {
					if len(p) < n+28 {
						return t, 0, errShort("compound member")
					}
					if p[n] != 0 {
						return t, 0, fmt.Errorf("compound member %q is an old-style array (dimensionality %d): not supported", m.Name, p[n])
					}
					n += 28
				}
			default:
				w := 1
				for s := t.Size; s > 0xff && w < 4; s >>= 8 {
					w++
				}
				if len(p) < n+w {
					return t, 0, errShort("compound member")
				}
				var off int
				for k := w - 1; k >= 0; k-- {
					off = off<<8 | int(p[n+k])
				}
				m.Offset = off
				n += w
			}
			mt, used, err := decodeDatatype(p[n:], depth+1)
			if err != nil {
				return t, 0, fmt.Errorf("compound member %q: %w", m.Name, err)
			}
			n += used
			m.Type = mt
			if m.Offset < 0 || m.Offset+mt.Size > t.Size {
				return t, 0, fmt.Errorf("compound member %q at %d..%d outside the %d-byte type", m.Name, m.Offset, m.Offset+mt.Size, t.Size)
			}
			t.Members = append(t.Members, m)
		}
	case ClassEnum:
		base, used, err := decodeDatatype(p[n:], depth+1)
		if err != nil {
			return t, 0, fmt.Errorf("enum base type: %w", err)
		}
		n += used
		nm := int(binary.LittleEndian.Uint16(bits[:2]))
		for i := 0; i < nm; i++ { // names
			if n >= len(p) {
				return t, 0, errShort("enum names")
			}
			end := indexByte(p[n:], 0)
			if end < 0 {
				return t, 0, errShort("enum name")
			}
			if version < 3 {
				n += (end + 8) / 8 * 8
			} else {
				n += end + 1
			}
		}
		n += nm * base.Size
	case ClassArray:
		if len(p) < n+1 {
			return t, 0, errShort("array type")
		}
		rank := int(p[n])
		n++
		if version < 3 {
			n += 3
		}
		n += 4 * rank
		if version < 3 {
			n += 4 * rank
		}
		if n > len(p) {
			return t, 0, errShort("array type")
		}
		_, used, err := decodeDatatype(p[n:], depth+1)
		if err != nil {
			return t, 0, fmt.Errorf("array base type: %w", err)
		}
		n += used
	case ClassVarLen:
		_, used, err := decodeDatatype(p[n:], depth+1)
		if err != nil {
			return t, 0, fmt.Errorf("variable-length base type: %w", err)
		}
		n += used
	case ClassRef:
	default:
		return t, 0, fmt.Errorf("datatype class %d unknown", t.Class)
	}
	if n > len(p) {
		return t, 0, errShort("datatype")
	}
	return t, n, nil
}

func indexByte(p []byte, c byte) int {
	for i, x := range p {
		if x == c {
			return i
		}
	}
	return -1
}

// DecodeString returns a fixed-length string element as Go text: up to
// the first NUL for NUL-terminated and NUL-padded strings, without
// trailing spaces for space-padded ones.
func (t *Datatype) DecodeString(b []byte) string {
	switch t.Pad {
	case SpacePad:
		return strings.TrimRight(string(b), " ")
	default:
		if i := indexByte(b, 0); i >= 0 {
			b = b[:i]
		}
		return string(b)
	}
}

// EncodeString writes s into a fixed-length element b (len(b) = Size),
// NUL- or space-padded. s is cut at a UTF-8 boundary if it is too long.
func (t *Datatype) EncodeString(b []byte, s string) {
	if len(s) > len(b) {
		s = s[:len(b)]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	n := copy(b, s)
	fill := byte(0)
	if t.Pad == SpacePad {
		fill = ' '
	}
	for i := n; i < len(b); i++ {
		b[i] = fill
	}
}

// IntAt decodes the integer element at b (len ≥ Size) as int64.
func (t *Datatype) IntAt(b []byte) (int64, error) {
	if t.Class != ClassInt {
		return 0, fmt.Errorf("%s is not an integer type", t)
	}
	var u uint64
	for k := 0; k < t.Size; k++ {
		i := k
		if t.BigEndian {
			i = t.Size - 1 - k
		}
		u |= uint64(b[i]) << (8 * k)
	}
	if t.Signed && t.Size < 8 {
		shift := 64 - 8*t.Size
		return int64(u<<shift) >> shift, nil
	}
	if !t.Signed && u > math.MaxInt64 {
		return 0, fmt.Errorf("unsigned value %d does not fit an int64", u)
	}
	return int64(u), nil
}

// FloatAt decodes the numeric element at b (integer or IEEE float) as
// float64.
func (t *Datatype) FloatAt(b []byte) (float64, error) {
	switch t.Class {
	case ClassInt:
		if !t.Signed && t.Size == 8 {
			u := t.uintAt(b)
			return float64(u), nil
		}
		v, err := t.IntAt(b)
		return float64(v), err
	case ClassFloat:
		u := t.uintAt(b)
		switch {
		case t.Size == 8 && t.float.expSize == 11 && t.float.mantSize == 52:
			return math.Float64frombits(u), nil
		case t.Size == 4 && t.float.expSize == 8 && t.float.mantSize == 23:
			return float64(math.Float32frombits(uint32(u))), nil
		}
		return 0, fmt.Errorf("non-IEEE float layout (size %d, exponent %d bits, mantissa %d bits)", t.Size, t.float.expSize, t.float.mantSize)
	}
	return 0, fmt.Errorf("%s is not a numeric type", t)
}

func (t *Datatype) uintAt(b []byte) uint64 {
	var u uint64
	for k := 0; k < t.Size && k < 8; k++ {
		i := k
		if t.BigEndian {
			i = t.Size - 1 - k
		}
		u |= uint64(b[i]) << (8 * k)
	}
	return u
}

func errShort(what string) error { return fmt.Errorf("%s: message truncated", what) }
