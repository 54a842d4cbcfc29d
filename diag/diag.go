// Package diag owns source positions and the diagnostics (errors and
// warnings) that point at them. Every stage that reads user input (the
// NeuroRD reader, model validation, the mesh builder, compilation) reports
// through a List so that all problems found in one pass reach the user
// together, each naming the file, line, element and offending value.
package diag

import (
	"fmt"
	"strings"
)

// Pos is a place in an input file. Line is 1-based; 0 means unknown.
type Pos struct {
	File string
	Line int
}

// String formats p as "file:line", "file" or "" when nothing is known.
func (p Pos) String() string {
	switch {
	case p.File == "" && p.Line == 0:
		return ""
	case p.Line == 0:
		return p.File
	default:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
}

// Diagnostic is one error or warning about the input.
type Diagnostic struct {
	Pos Pos
	// Element names the XML element (or model object) concerned,
	// e.g. `<Reaction id="r1">` or `<runtime>`.
	Element string
	// Value is the offending value as written, if any.
	Value string
	// Option names the run option the diagnostic is about (a field of
	// the caller's options, e.g. "Method"), when the problem is not in a
	// file. Front ends rename it (a command line shows its flag); Element
	// then holds the same name.
	Option string
	// Msg says what is wrong; it quotes Value where that helps.
	Msg string
	// Warning is true for problems that do not stop the run.
	Warning bool
}

// String formats d as "file:line: element: message".
func (d Diagnostic) String() string {
	var b strings.Builder
	if p := d.Pos.String(); p != "" {
		b.WriteString(p)
		b.WriteString(": ")
	}
	if d.Warning {
		b.WriteString("warning: ")
	}
	if d.Element != "" {
		b.WriteString(d.Element)
		b.WriteString(": ")
	}
	b.WriteString(d.Msg)
	return b.String()
}

// List collects diagnostics in the order they were found.
type List []Diagnostic

// Errorf records an error.
func (l *List) Errorf(pos Pos, element, value, format string, args ...any) {
	*l = append(*l, Diagnostic{Pos: pos, Element: element, Value: value, Msg: fmt.Sprintf(format, args...)})
}

// OptionErrorf records an error about a run option (not a file).
func (l *List) OptionErrorf(option, value, format string, args ...any) {
	*l = append(*l, Diagnostic{Element: option, Option: option, Value: value, Msg: fmt.Sprintf(format, args...)})
}

// RenameOptions returns a copy of l whose option diagnostics name their
// option as name(option) says (e.g. a command-line flag).
func (l List) RenameOptions(name func(option string) string) List {
	out := make(List, len(l))
	for i, d := range l {
		if d.Option != "" {
			d.Element = name(d.Option)
		}
		out[i] = d
	}
	return out
}

// Warnf records a warning.
func (l *List) Warnf(pos Pos, element, value, format string, args ...any) {
	*l = append(*l, Diagnostic{Pos: pos, Element: element, Value: value, Msg: fmt.Sprintf(format, args...), Warning: true})
}

// Add appends all diagnostics of other.
func (l *List) Add(other List) { *l = append(*l, other...) }

// Errors returns the diagnostics that are errors.
func (l List) Errors() List { return l.filter(false) }

// Warnings returns the diagnostics that are warnings.
func (l List) Warnings() List { return l.filter(true) }

func (l List) filter(warning bool) List {
	var out List
	for _, d := range l {
		if d.Warning == warning {
			out = append(out, d)
		}
	}
	return out
}

// HasErrors reports whether l holds at least one error.
func (l List) HasErrors() bool {
	for _, d := range l {
		if !d.Warning {
			return true
		}
	}
	return false
}

// Err returns the errors of l as an error, or nil when there are none.
func (l List) Err() error {
	errs := l.Errors()
	if len(errs) == 0 {
		return nil
	}
	return &Error{List: errs}
}

// Error is the error returned for bad input: one or more diagnostics.
type Error struct {
	List List
}

// Error formats one diagnostic per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.List))
	for i, d := range e.List {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}
