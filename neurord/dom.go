package neurord

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/spinerd/spinerd/diag"
	"github.com/spinerd/spinerd/internal/fileerr"
)

// xincludeNS is the XInclude namespace.
const xincludeNS = "http://www.w3.org/2001/XInclude"

// node is an element of the model document after XInclude resolution. It
// remembers the file and line it came from so that every message can name
// them.
type node struct {
	name     string
	attrs    []xml.Attr
	children []*node
	text     strings.Builder
	pos      diag.Pos
}

func (n *node) attr(name string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Local == name {
			return strings.TrimSpace(a.Value), true
		}
	}
	return "", false
}

// content is the element's own text, trimmed.
func (n *node) content() string { return strings.TrimSpace(n.text.String()) }

// describe names the element for messages, with its identifying attribute.
func (n *node) describe() string {
	for _, key := range []string{"id", "specieID", "name", "filename", "region"} {
		if v, ok := n.attr(key); ok {
			return fmt.Sprintf("<%s %s=%q>", n.name, key, v)
		}
	}
	return "<" + n.name + ">"
}

// Limits on a model's files, so that hostile or broken input (a device
// file, a file of endless nesting) fails with a message instead of
// exhausting memory or time. Real models are far below them: the spine
// model with all its includes is 0.4 MB, about 5,000 elements, 6 levels
// deep.
const (
	// MaxFileBytes bounds one file (the model or an included file).
	MaxFileBytes = 64 << 20
	// MaxModelBytes bounds all files of a model together.
	MaxModelBytes = 64 << 20
	// MaxElements bounds the elements of a model (each costs ~200 bytes
	// once parsed).
	MaxElements = 1_000_000
	// MaxDepth bounds the nesting of elements, MaxIncludeDepth that of
	// includes.
	MaxDepth        = 100
	MaxIncludeDepth = 32
)

// parser builds the document, following includes and reporting problems.
type parser struct {
	diags diag.List
	// stack of absolute paths being parsed, for include cycles.
	stack []string
	// read returns a file's bytes (regular files of at most limit bytes
	// only); join resolves an href against the including file; abs makes
	// a path canonical for cycle detection.
	read func(path string, limit int64) ([]byte, error)
	join func(from, href string) string
	abs  func(path string) string
	// bytes and elements read so far (all files).
	bytes    int64
	elements int
	over     bool // a limit was hit: stop reading
}

// errTooLarge and errNotRegular are what read reports for files it
// refuses.
var (
	errTooLarge   = errors.New("too large")
	errNotRegular = errors.New("not a regular file")
)

// readOpened reads an opened file (os.File or fs.File) with readLimited
// and closes it.
func readOpened(f fs.File, err error, limit int64) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return readLimited(f, info, limit)
}

// readLimited reads a regular file of at most limit bytes.
func readLimited(f io.Reader, info fs.FileInfo, limit int64) ([]byte, error) {
	if m := info.Mode(); !m.IsRegular() {
		what := "a special file"
		switch {
		case m.IsDir():
			what = "a directory"
		case m&fs.ModeDevice != 0:
			what = "a device"
		case m&fs.ModeNamedPipe != 0:
			what = "a named pipe"
		case m&fs.ModeSocket != 0:
			what = "a socket"
		}
		return nil, fmt.Errorf("%w: it is %s", errNotRegular, what)
	}
	if info.Size() > limit {
		return nil, fmt.Errorf("%w: %d bytes, more than the limit of %d", errTooLarge, info.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: more than the limit of %d bytes", errTooLarge, limit)
	}
	return data, nil
}

func osParser() *parser {
	return &parser{
		read: func(path string, limit int64) ([]byte, error) {
			f, err := os.Open(path)
			return readOpened(f, err, limit)
		},
		join: func(from, href string) string {
			if filepath.IsAbs(href) {
				return href
			}
			return filepath.Join(filepath.Dir(from), href)
		},
		abs: func(p string) string {
			if a, err := filepath.Abs(p); err == nil {
				return a
			}
			return p
		},
	}
}

func fsParser(fsys fs.FS) *parser {
	return &parser{
		read: func(p string, limit int64) ([]byte, error) {
			f, err := fsys.Open(p)
			return readOpened(f, err, limit)
		},
		join: func(from, href string) string { return path.Join(path.Dir(from), href) },
		abs:  path.Clean,
	}
}

// parseFile reads path into a tree. pos is where it was included from.
func (p *parser) parseFile(path string, from diag.Pos) *node {
	abs := p.abs(path)
	for _, s := range p.stack {
		if s == abs {
			chain := append(append([]string{}, p.stack...), abs)
			for i := range chain {
				chain[i] = filepath.Base(chain[i])
			}
			p.diags.Errorf(from, "<xi:include>", path, "include cycle: %s", strings.Join(chain, " → "))
			return nil
		}
	}
	if len(p.stack) >= MaxIncludeDepth {
		p.diags.Errorf(from, "<xi:include>", path, "includes nested more than %d deep", MaxIncludeDepth)
		p.over = true
		return nil
	}
	data, err := p.readFile(path)
	if err != nil {
		if from.File == "" {
			p.diags.Errorf(diag.Pos{File: path}, "", path, "cannot read model file: %v", fileerr.Cause(err))
		} else {
			p.diags.Errorf(from, "<xi:include>", path, "cannot read included file %q: %v", path, fileerr.Cause(err))
		}
		return nil
	}
	p.stack = append(p.stack, abs)
	defer func() { p.stack = p.stack[:len(p.stack)-1] }()
	first := len(p.diags)
	root := p.parse(data, path)
	if from.File != "" {
		// Say where a file with problems was included from.
		for i := first; i < len(p.diags); i++ {
			if d := &p.diags[i]; d.Pos.File == path && !strings.Contains(d.Msg, "(included from ") {
				d.Msg += fmt.Sprintf(" (included from %s)", from)
			}
		}
	}
	return root
}

// readFile reads a file within what is left of the model's byte budget.
func (p *parser) readFile(path string) ([]byte, error) {
	data, err := p.read(path, MaxFileBytes)
	if err == nil && p.bytes+int64(len(data)) > MaxModelBytes {
		err = fmt.Errorf("%w: the model's files together exceed the limit of %d bytes", errTooLarge, MaxModelBytes)
	}
	if err != nil {
		if errors.Is(err, errTooLarge) {
			p.over = true
		}
		return nil, err
	}
	p.bytes += int64(len(data))
	return data, nil
}

// parse builds the tree of one file's bytes.
func (p *parser) parse(data []byte, file string) *node {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = charsetReader
	var root *node
	var stack []*node
	for {
		line, _ := d.InputPos()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				p.diags.Errorf(diag.Pos{File: file, Line: se.Line}, "", "", "XML syntax error: %s", se.Msg)
			} else {
				p.diags.Errorf(diag.Pos{File: file, Line: line}, "", "", "XML error: %v", err)
			}
			return nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			pos := diag.Pos{File: file, Line: line}
			if p.elements++; p.elements > MaxElements {
				p.diags.Errorf(pos, "<"+t.Name.Local+">", "", "the model has more than %d elements", MaxElements)
				p.over = true
				return nil
			}
			if len(stack) >= MaxDepth {
				p.diags.Errorf(pos, "<"+t.Name.Local+">", "", "elements nested more than %d deep", MaxDepth)
				p.over = true
				return nil
			}
			if isInclude(t.Name) {
				// An include is replaced by the included content.
				n := &node{name: "xi:include", attrs: t.Attr, pos: pos}
				stack = append(stack, n)
				if len(stack) == 1 {
					p.diags.Errorf(pos, "<xi:include>", "", "a file cannot consist of an include only")
				}
				continue
			}
			n := &node{name: t.Name.Local, attrs: t.Attr, pos: pos}
			if len(stack) == 0 {
				if root != nil {
					p.diags.Errorf(pos, n.describe(), "", "second root element")
					return root
				}
				root = n
			} else if parent := stack[len(stack)-1]; parent.name != "xi:include" {
				parent.children = append(parent.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if n.name == "xi:include" && len(stack) > 0 {
				p.include(n, stack[len(stack)-1])
			}
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
	if root == nil {
		p.diags.Errorf(diag.Pos{File: file}, "", "", "no XML element in file")
	}
	return root
}

func isInclude(n xml.Name) bool {
	return n.Local == "include" && (n.Space == xincludeNS || n.Space == "xi")
}

// include resolves an <xi:include> element into parent.
func (p *parser) include(inc, parent *node) {
	href, ok := inc.attr("href")
	if !ok || href == "" {
		p.diags.Errorf(inc.pos, "<xi:include>", "", "include without href")
		return
	}
	if xp, ok := inc.attr("xpointer"); ok {
		p.diags.Errorf(inc.pos, "<xi:include>", xp, "xpointer is not supported")
		return
	}
	path := p.join(inc.pos.File, href)
	mode, _ := inc.attr("parse")
	if p.over {
		return
	}
	switch mode {
	case "", "xml":
		child := p.parseFile(path, inc.pos)
		if child != nil {
			parent.children = append(parent.children, child)
		}
	case "text":
		data, err := p.readFile(path)
		if err != nil {
			p.diags.Errorf(inc.pos, "<xi:include>", href, "cannot read included file %q: %v", path, fileerr.Cause(err))
			return
		}
		if !utf8.Valid(data) {
			p.diags.Errorf(inc.pos, "<xi:include>", href, "included text file %q is not UTF-8", path)
			return
		}
		parent.text.Write(data)
	default:
		p.diags.Errorf(inc.pos, "<xi:include>", mode, "parse=%q must be \"xml\" or \"text\"", mode)
	}
}

// charsetReader accepts the Latin-1 family besides UTF-8.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii", "windows-1252":
		data, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		runes := make([]rune, len(data))
		for i, b := range data {
			runes[i] = rune(b)
		}
		return strings.NewReader(string(runes)), nil
	}
	return nil, fmt.Errorf("unsupported character encoding %q (use UTF-8)", charset)
}

// write serialises n (with includes resolved) as XML text.
func (n *node) write(w *strings.Builder, indent string) {
	w.WriteString(indent)
	w.WriteString("<" + n.name)
	for _, a := range n.attrs {
		if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
			continue
		}
		fmt.Fprintf(w, " %s=\"", a.Name.Local)
		xml.EscapeText(w2{w}, []byte(a.Value))
		w.WriteString("\"")
	}
	text := n.content()
	if len(n.children) == 0 && text == "" {
		w.WriteString("/>\n")
		return
	}
	w.WriteString(">")
	if text != "" {
		xml.EscapeText(w2{w}, []byte(text))
	}
	if len(n.children) > 0 {
		w.WriteString("\n")
		for _, c := range n.children {
			c.write(w, indent+"  ")
		}
		w.WriteString(indent)
	}
	w.WriteString("</" + n.name + ">\n")
}

type w2 struct{ b *strings.Builder }

func (w w2) Write(p []byte) (int, error) { return w.b.Write(p) }
