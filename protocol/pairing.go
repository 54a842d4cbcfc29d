package protocol

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/spinerd/spinerd/model"
)

// pairing.json holds the piecewise-constant Ca²⁺ influx of one pre/post
// pairing (Fig. 5 of Mäki-Marttunen et al. 2020), per ISI: bins
// [on_start_ms[i], on_end_ms[i]) relative to the presynaptic stimulus and
// their rates (ions/ms), derived from the NMDAR currents in ModelDB
// 260971 (L23PC/currClips0_*) by the arithmetic of
// model_nrn_paired_contnm_var.py; numbers only.
//
//go:embed data/pairing.json
var pairingJSON []byte

type pairingData struct {
	OnStart []float64 `json:"on_start_ms"`
	OnEnd   []float64 `json:"on_end_ms"`
	Series  []struct {
		ISI      float64   `json:"isi_ms"`
		Plotted  float64   `json:"isi_plus_30_ms"`
		RatesPer []float64 `json:"rates_per_ms"`
	} `json:"series"`
}

func loadPairing() (*pairingData, error) {
	var d pairingData
	if err := json.Unmarshal(pairingJSON, &d); err != nil {
		return nil, fmt.Errorf("embedded pairing data: %w", err)
	}
	return &d, nil
}

// PairingISIs returns the ISIs (isi_ms of the source files) with a Ca
// influx series.
func PairingISIs() []float64 {
	d, err := loadPairing()
	if err != nil {
		return nil
	}
	var out []float64
	for _, s := range d.Series {
		out = append(out, s.ISI)
	}
	return out
}

// pairingRows returns the Ca rate table of n pairings at 1 Hz from onset:
// pairing p sets bin i's rate at onset + 1000p + on_start[i] and 0 at
// onset + 1000p + on_end[last] (986 ms: the last bin stretched). Where a
// pairing's switch-off coincides with the next pairing's bin start (at
// −14 ms), the switch-off comes first, so the next pairing keeps its bin
// (the original leaves the order of the two NEURON events unspecified).
// scale multiplies the rates (Ca flux coefficient).
func pairingRows(isi, onset float64, n int, scale float64) ([]model.RateRow, error) {
	d, err := loadPairing()
	if err != nil {
		return nil, err
	}
	idx := -1
	var have []string
	for i, s := range d.Series {
		if s.ISI == isi {
			idx = i
		}
		have = append(have, fmt.Sprint(s.ISI))
	}
	if idx < 0 {
		return nil, fmt.Errorf("no pairing Ca influx for ISI %g ms (have %s)", isi, strings.Join(have, ", "))
	}
	if scale == 0 {
		scale = 1
	}
	type ev struct {
		t    float64
		rate float64
		off  bool
	}
	var evs []ev
	s := d.Series[idx]
	last := d.OnEnd[len(d.OnEnd)-1]
	for p := 0; p < n; p++ {
		base := onset + 1000*float64(p)
		for i, r := range s.RatesPer {
			evs = append(evs, ev{base + d.OnStart[i], r * scale, false})
		}
		evs = append(evs, ev{base + last, 0, true})
	}
	sort.SliceStable(evs, func(a, b int) bool {
		if evs[a].t != evs[b].t {
			return evs[a].t < evs[b].t
		}
		return evs[a].off && !evs[b].off
	})
	rows := make([]model.RateRow, 0, len(evs))
	for _, e := range evs {
		rows = append(rows, model.RateRow{TimeMs: e.t, RatePerMs: e.rate})
	}
	return rows, nil
}
