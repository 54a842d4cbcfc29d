package mesh

import "math"

// Vec3 is a point or direction in µm.
type Vec3 [3]float64

func (a Vec3) add(b Vec3) Vec3             { return Vec3{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }
func (a Vec3) sub(b Vec3) Vec3             { return Vec3{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func (a Vec3) scale(s float64) Vec3        { return Vec3{a[0] * s, a[1] * s, a[2] * s} }
func (a Vec3) dot(b Vec3) float64          { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func (a Vec3) norm() float64               { return math.Sqrt(a.dot(a)) }
func (a Vec3) dist(b Vec3) float64         { return a.sub(b).norm() }
func (a Vec3) lerp(b Vec3, f float64) Vec3 { return a.add(b.sub(a).scale(f)) }

func (a Vec3) cross(b Vec3) Vec3 {
	return Vec3{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

func (a Vec3) unit() Vec3 {
	n := a.norm()
	if n == 0 {
		return Vec3{}
	}
	return a.scale(1 / n)
}
