package neurord

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// FormatG5 formats x as Java's String.format("%.5g", x), which NeuroRD uses
// for its mesh file and output-set times: 5 significant digits rounded
// half-up on the exact binary value; fixed notation (trailing zeros kept)
// when 1e-4 ≤ |rounded| < 1e5, otherwise d.dddde±XX.
func FormatG5(x float64) string {
	const prec = 5
	if math.IsNaN(x) {
		return "NaN"
	}
	if math.IsInf(x, 0) {
		if x > 0 {
			return "Infinity"
		}
		return "-Infinity"
	}
	sign := ""
	if math.Signbit(x) {
		sign = "-"
		x = -x
	}
	if x == 0 {
		return sign + "0.0000"
	}
	// Exact decimal expansion (enough digits to see an exact tie).
	s := strconv.FormatFloat(x, 'e', 60, 64)
	mant, expStr, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	keep := []byte(digits[:prec])
	if digits[prec] >= '5' { // half-up
		i := prec - 1
		for ; i >= 0; i-- {
			if keep[i] == '9' {
				keep[i] = '0'
				continue
			}
			keep[i]++
			break
		}
		if i < 0 {
			keep = append([]byte{'1'}, keep[:prec-1]...)
			exp++
		}
	}
	d := string(keep)
	if exp >= -4 && exp < prec {
		if exp >= 0 {
			intPart, frac := d[:exp+1], d[exp+1:]
			if frac == "" {
				return sign + intPart
			}
			return sign + intPart + "." + frac
		}
		return sign + "0." + strings.Repeat("0", -exp-1) + d
	}
	es := "+"
	if exp < 0 {
		es = "-"
		exp = -exp
	}
	e := strconv.Itoa(exp)
	if len(e) < 2 {
		e = "0" + e
	}
	return sign + d[:1] + "." + d[1:] + "e" + es + e
}

// WriteMeshText writes voxels in the layout of NeuroRD's O-mesh.txt.out:
// a header, then per voxel its index, four corners, volume and deltaZ,
// each formatted with FormatG5.
func WriteMeshText(w io.Writer, voxels []TextVoxel) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("element_index  x0 y0 z0 x1 y1 z1 x2 y2 z2 x3 y3 z3 volume deltaZ\n")
	for i := range voxels {
		v := &voxels[i]
		bw.WriteString(strconv.Itoa(i))
		for _, c := range v.Corners {
			for _, x := range c {
				bw.WriteByte(' ')
				bw.WriteString(FormatG5(x))
			}
		}
		bw.WriteByte(' ')
		bw.WriteString(FormatG5(v.VolumeUm3))
		bw.WriteByte(' ')
		bw.WriteString(FormatG5(v.DeltaZUm))
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// ReadMeshText reads NeuroRD's O-mesh.txt.out (the layout WriteMeshText
// writes): per voxel its corners (µm), volume (µm³) and deltaZ (µm).
func ReadMeshText(r io.Reader) ([]TextVoxel, error) {
	sc := bufio.NewScanner(r)
	var out []TextVoxel
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if line == 1 {
			if len(f) == 0 || f[0] != "element_index" {
				return nil, fmt.Errorf("line 1: not a NeuroRD mesh file (no element_index header)")
			}
			continue
		}
		if len(f) == 0 {
			continue
		}
		if len(f) != 15 {
			return nil, fmt.Errorf("line %d: %d fields, want 15", line, len(f))
		}
		var v TextVoxel
		var x [14]float64
		for k := range x {
			var err error
			if x[k], err = strconv.ParseFloat(f[k+1], 64); err != nil {
				return nil, fmt.Errorf("line %d: %q is not a number", line, f[k+1])
			}
		}
		for k := 0; k < 12; k++ {
			v.Corners[k/3][k%3] = x[k]
		}
		v.VolumeUm3, v.DeltaZUm = x[12], x[13]
		out = append(out, v)
	}
	return out, sc.Err()
}
