package neurord

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
)

// ConcentrationSet is one <ConcentrationSet> of an initial-conditions
// file: concentrations in nM for Region ("" applies to every region).
type ConcentrationSet struct {
	Region  string
	Species []string
	NM      []float64
}

// WriteInitialConditions writes an <InitialConditions> element that a
// NeuroRD model can xi:include in place of its own: one ConcentrationSet
// per set, values in nM written with the shortest text that reads back
// exactly. comment, if not empty, becomes an XML comment at the top.
func WriteInitialConditions(w io.Writer, comment string, sets []ConcentrationSet) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	if comment != "" {
		fmt.Fprintf(bw, "<!-- %s -->\n", xmlComment(comment))
	}
	bw.WriteString("<InitialConditions>\n")
	for _, s := range sets {
		if s.Region == "" {
			bw.WriteString("  <ConcentrationSet>\n")
		} else {
			fmt.Fprintf(bw, "  <ConcentrationSet region=%q>\n", s.Region)
		}
		for i, id := range s.Species {
			fmt.Fprintf(bw, "    <NanoMolarity specieID=%q value=\"%s\"/>\n", id, strconv.FormatFloat(s.NM[i], 'g', -1, 64))
		}
		bw.WriteString("  </ConcentrationSet>\n")
	}
	bw.WriteString("</InitialConditions>\n")
	return bw.Flush()
}

// xmlComment makes s safe inside <!-- -->.
func xmlComment(s string) string {
	out := []byte{}
	for i := 0; i < len(s); i++ {
		if s[i] == '-' && i+1 < len(s) && s[i+1] == '-' {
			out = append(out, '-', ' ')
			continue
		}
		out = append(out, s[i])
	}
	return string(out)
}
