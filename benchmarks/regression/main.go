// Command regression evaluates every point of
// ../shared/data/fit-regression-points.json that has objective values
// with spinerd's deterministic engine and prints, per point and
// objective, spinerd's value, the original NEURON code's, and whether it
// is within 0.01 + 5 % of it. Usage: go run ./benchmarks/regression
// [-shared ../shared] [-neuron-tolerances]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/spinerd/spinerd/models"
	"github.com/spinerd/spinerd/plasticity"
)

func main() {
	shared := flag.String("shared", "../shared", "the shared data directory")
	neuron := flag.Bool("neuron-tolerances", false, "use the NEURON fits' error control")
	flag.Parse()
	b, err := os.ReadFile(filepath.Join(*shared, "data", "fit-regression-points.json"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var f struct {
		Points []struct {
			Set        string             `json:"set"`
			Imeas      int                `json:"imeas"`
			Space      string             `json:"parameter_space"`
			Variant    string             `json:"protocol_variant"`
			Params     map[string]float64 `json:"params"`
			Objectives []float64          `json:"objectives"`
		} `json:"points"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	d, err := plasticity.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	base, _, err := models.SpineModel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%-5s %-6s %-6s %-4s %12s %12s %10s %s\n", "point", "set", "space", "obj", "spinerd", "original", "|diff|", "within 0.01+5%")
	pass, total, points, pointsPass := 0, 0, 0, 0
	start := time.Now()
	for i, pt := range f.Points {
		if pt.Objectives == nil {
			continue
		}
		ds := &d.Datasets[pt.Imeas]
		r, err := d.Evaluate(context.Background(), base, ds, ds.Variants[pt.Variant], d.Spaces[pt.Space], pt.Params, plasticity.Options{Jobs: runtime.NumCPU(), NEURONTolerances: *neuron})
		if err != nil {
			fmt.Printf("%-5d %-6s error: %v\n", i, ds.Caption, err)
			continue
		}
		points++
		all := true
		for k, want := range pt.Objectives {
			got := r.Objectives[k]
			ok := math.Abs(got-want) <= 0.01+0.05*math.Abs(want)
			total++
			mark := "yes"
			if ok {
				pass++
			} else {
				mark, all = "NO", false
			}
			name := fmt.Sprintf("f%d", k)
			if k == len(pt.Objectives)-1 {
				name = "Ca"
			}
			fmt.Printf("%-5d %-6s %-6s %-4s %12.6f %12.6f %10.2g %s\n", i, ds.Caption, pt.Space, name, got, want, math.Abs(got-want), mark)
		}
		if all {
			pointsPass++
		}
	}
	fmt.Printf("\n%d of %d objectives and %d of %d points within 0.01 + 5 %% (%.0f s)\n", pass, total, pointsPass, points, time.Since(start).Seconds())
}
