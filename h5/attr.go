package h5

import (
	"errors"
	"fmt"
)

// Attribute is an attribute of a group or dataset.
type Attribute struct {
	Name  string
	Type  Datatype
	Shape []uint64
	// Raw holds the elements, row-major, in the file's byte order.
	Raw []byte
}

func attrs(f *File, path string, h *objHeader) ([]*Attribute, error) {
	var out []*Attribute
	for _, m := range h.msgs {
		switch m.typ {
		case msgAttribute:
			a, err := decodeAttribute(f, m.data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			out = append(out, a)
		case msgAttrInfo:
			d := decoder{b: m.data, f: f}
			d.u8()
			flags := d.u8()
			if flags&1 != 0 {
				d.skip(2)
			}
			if heap := d.addr(); d.err == nil && heap != undef {
				return nil, fmt.Errorf("%s: dense attribute storage is not supported", path)
			}
		}
	}
	return out, nil
}

func attr(f *File, path string, h *objHeader, name string) (*Attribute, error) {
	all, err := attrs(f, path, h)
	if err != nil {
		return nil, err
	}
	for _, a := range all {
		if a.Name == name {
			return a, nil
		}
	}
	return nil, fmt.Errorf("%s: no attribute %q", path, name)
}

func decodeAttribute(f *File, p []byte) (*Attribute, error) {
	d := decoder{b: p, f: f}
	version := d.u8()
	flags := d.u8()
	nameSize := int(d.u16())
	typeSize := int(d.u16())
	spaceSize := int(d.u16())
	switch version {
	case 1:
	case 2:
	case 3:
		d.u8() // name encoding
	default:
		return nil, fmt.Errorf("attribute message version %d unknown", version)
	}
	if flags&3 != 0 {
		return nil, errors.New("attributes with shared datatypes or dataspaces are not supported")
	}
	padded := func(n int) int {
		if version == 1 {
			return (n + 7) / 8 * 8
		}
		return n
	}
	name := d.bytes(padded(nameSize))
	if d.err != nil || nameSize > len(name) {
		return nil, errors.New("attribute message truncated")
	}
	if i := indexByte(name[:nameSize], 0); i >= 0 {
		name = name[:i]
	} else {
		name = name[:nameSize]
	}
	a := &Attribute{Name: string(name)}
	tb := d.bytes(padded(typeSize))
	sb := d.bytes(padded(spaceSize))
	if d.err != nil {
		return nil, fmt.Errorf("attribute %q: message truncated", a.Name)
	}
	t, _, err := decodeDatatype(tb, 0)
	if err != nil {
		return nil, fmt.Errorf("attribute %q: %w", a.Name, err)
	}
	a.Type = t
	dims, _, err := decodeDataspace(f, sb)
	if err != nil {
		return nil, fmt.Errorf("attribute %q: %w", a.Name, err)
	}
	a.Shape = dims
	n, ok := product(dims)
	if !ok || n > uint64(len(p)) {
		return nil, fmt.Errorf("attribute %q: %v elements do not fit the message", a.Name, dims)
	}
	if t.Class == ClassVarLen {
		return a, nil // value not readable; Raw stays empty
	}
	raw := d.bytes(int(n) * t.Size)
	if d.err != nil {
		return nil, fmt.Errorf("attribute %q: data truncated", a.Name)
	}
	a.Raw = raw
	return a, nil
}

// String returns the value of a string attribute with one element.
func (a *Attribute) String() (string, error) {
	ss, err := a.Strings()
	if err != nil {
		return "", err
	}
	if len(ss) != 1 {
		return "", fmt.Errorf("attribute %q has %d strings, want 1", a.Name, len(ss))
	}
	return ss[0], nil
}

// Strings returns the values of a fixed-length string attribute.
func (a *Attribute) Strings() ([]string, error) {
	if a.Type.Class != ClassString {
		return nil, fmt.Errorf("attribute %q is %s, not a fixed-length string", a.Name, a.Type)
	}
	return a.Type.Strings(a.Raw, "attribute "+a.Name)
}

// Int64 returns the value of an integer attribute with one element.
func (a *Attribute) Int64() (int64, error) {
	vs, err := a.Type.Int64s(a.Raw, "attribute "+a.Name)
	if err != nil {
		return 0, err
	}
	if len(vs) != 1 {
		return 0, fmt.Errorf("attribute %q has %d values, want 1", a.Name, len(vs))
	}
	return vs[0], nil
}
