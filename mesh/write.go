package mesh

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// TSVHeader names the columns written by WriteTSV.
var TSVHeader = []string{
	"voxel", "volume_um3", "exposed_area_um2", "deltaZ_um", "region", "label", "group", "type",
	"cx", "cy", "cz",
	"x0", "y0", "z0", "x1", "y1", "z1", "x2", "y2", "z2", "x3", "y3", "z3",
	"neighbours", "couplings_um",
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// WriteTSV writes one row per voxel: index, volume (µm³), exposed membrane
// area (µm²), deltaZ (µm), region, label, spine group, type, centre and
// the four outline corners (µm), then the neighbour indices and the
// couplings (contact area / centre distance, µm) as aligned comma-separated
// lists. Floats are written in the shortest form that reads back exactly.
func WriteTSV(w io.Writer, m *Mesh) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(strings.Join(TSVHeader, "\t"))
	bw.WriteByte('\n')
	row := make([]string, 0, len(TSVHeader))
	for i := range m.Voxels {
		v := &m.Voxels[i]
		row = row[:0]
		row = append(row, strconv.Itoa(i), ftoa(v.VolumeUm3), ftoa(v.ExposedAreaUm2), ftoa(v.DeltaZUm),
			v.Region, v.Label, v.Group, v.Type())
		for _, c := range v.Centre {
			row = append(row, ftoa(c))
		}
		for _, p := range v.Corners {
			for _, c := range p {
				row = append(row, ftoa(c))
			}
		}
		nb := make([]string, len(v.Neighbours))
		cp := make([]string, len(v.Neighbours))
		for k, n := range v.Neighbours {
			nb[k] = strconv.Itoa(n.Voxel)
			cp[k] = ftoa(n.CouplingUm)
		}
		row = append(row, strings.Join(nb, ","), strings.Join(cp, ","))
		bw.WriteString(strings.Join(row, "\t"))
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
