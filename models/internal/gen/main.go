// Command gen writes the data files of package models from the
// Mäki-Marttunen et al. 2020 model files (ModelDB 260971) as distributed
// in ../shared/models/maki-marttunen-2020: species, reactions, initial
// concentrations and morphology, as numbers only (no comments or prose
// of the original files). Run it with `go generate ./models`.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spinerd/spinerd/internal/atomicfile"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
)

func num(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func main() {
	src := flag.String("src", "../../shared/models/maki-marttunen-2020", "directory of the original model files")
	dst := flag.String("dst", "mm2020", "output directory")
	flag.Parse()
	m, _, err := neurord.Load(filepath.Join(*src, "Model_rest.xml"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	write := func(name string, fill func(w *bufio.Writer)) {
		err := atomicfile.Write(filepath.Join(*dst, name), func(w io.Writer) error {
			bw := bufio.NewWriter(w)
			fill(bw)
			return bw.Flush()
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	write("Reactions.xml", func(w *bufio.Writer) {
		w.WriteString("<ReactionScheme>\n")
		for _, s := range m.Species {
			unit := s.KDiffUnit
			if unit == "" {
				unit = "mu2/s"
			}
			fmt.Fprintf(w, "  <Specie name=%q id=%q kdiff=%q kdiffunit=%q/>\n", s.Name, s.ID, num(s.KDiff), unit)
		}
		for _, r := range m.Reactions {
			fmt.Fprintf(w, "  <Reaction name=%q id=%q>\n", r.Name, r.ID)
			term := func(tag string, t model.Term) {
				fmt.Fprintf(w, "    <%s specieID=%q", tag, t.Species)
				if tag == "Reactant" && t.Power != 1 {
					fmt.Fprintf(w, " power=\"%d\"", t.Power)
				}
				if t.N != 1 && !(tag == "Reactant" && t.N == t.Power) {
					fmt.Fprintf(w, " n=\"%d\"", t.N)
				}
				w.WriteString("/>\n")
			}
			for _, t := range r.Reactants {
				term("Reactant", t)
			}
			for _, t := range r.Products {
				term("Product", t)
			}
			fmt.Fprintf(w, "    <forwardRate>%s</forwardRate>\n    <reverseRate>%s</reverseRate>\n  </Reaction>\n", num(r.ForwardRate), num(r.ReverseRate))
		}
		w.WriteString("</ReactionScheme>\n")
	})
	var sets []neurord.ConcentrationSet
	for _, cs := range m.Concentrations {
		set := neurord.ConcentrationSet{Region: cs.Region}
		for _, c := range cs.Entries {
			if c.Unit != model.NanoMolar {
				fmt.Fprintln(os.Stderr, "unexpected NumberDensity")
				os.Exit(1)
			}
			set.Species = append(set.Species, c.Species)
			set.NM = append(set.NM, c.Value)
		}
		sets = append(sets, set)
	}
	write("IC_singlecompartment.xml", func(w *bufio.Writer) {
		if err := neurord.WriteInitialConditions(w, "", sets); err != nil {
			panic(err)
		}
	})
}
