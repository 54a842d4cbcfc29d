package gillespie

import (
	"math"
	"math/rand/v2"
)

// Stream is one random number stream: a PCG-DXSM generator from
// math/rand/v2 with the samplers the engines need. Samplers never allocate.
type Stream struct {
	pcg rand.PCG
}

// splitmix64 is Vigna's 64-bit mixer; it turns (seed, index) pairs into
// well-separated PCG states.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// NewStream returns the stream with the given index derived from seed.
// Engines give each voxel (and each other independent actor) its own index,
// so that a run's random numbers do not depend on how work is scheduled.
func NewStream(seed, index uint64) *Stream {
	s := &Stream{}
	s.Seed(seed, index)
	return s
}

// Seed resets s to the stream (seed, index).
func (s *Stream) Seed(seed, index uint64) {
	a := splitmix64(seed ^ splitmix64(index+0x5851f42d4c957f2d))
	b := splitmix64(a ^ index)
	s.pcg.Seed(a, b)
}

// Uint64 returns 64 random bits.
func (s *Stream) Uint64() uint64 { return s.pcg.Uint64() }

// Float64 returns a uniform number in [0, 1).
func (s *Stream) Float64() float64 { return float64(s.pcg.Uint64()>>11) * 0x1p-53 }

// open01 returns a uniform number in (0, 1).
func (s *Stream) open01() float64 { return (float64(s.pcg.Uint64()>>11) + 0.5) * 0x1p-53 }

// Exp returns an exponential variate of rate 1, by the ziggurat method of
// Marsaglia & Tsang (J. Stat. Softw. 5(8), 2000) with 256 layers; the layer
// index and the abscissa come from separate bits of one 64-bit draw.
func (s *Stream) Exp() float64 {
	for {
		u := s.pcg.Uint64()
		i := u & 255
		j := uint32(u >> 32)
		x := float64(j) * zig.we[i]
		if j < zig.ke[i] {
			return x
		}
		if i == 0 {
			return zigR - math.Log(s.open01())
		}
		if zig.fe[i]+s.Float64()*(zig.fe[i-1]-zig.fe[i]) < math.Exp(-x) {
			return x
		}
	}
}

const (
	zigR = 7.69711747013104972
	zigV = 3.949659822581572e-3
)

// zig holds the ziggurat tables; they are computed once and never change.
var zig = func() (t struct {
	ke     [256]uint32
	we, fe [256]float64
}) {
	const m = 1 << 32
	d := zigR
	q := zigV / math.Exp(-d)
	t.ke[0] = uint32(d / q * m)
	t.ke[1] = 0
	t.we[0] = q / m
	t.we[255] = d / m
	t.fe[0] = 1
	t.fe[255] = math.Exp(-d)
	for i := 254; i >= 1; i-- {
		nd := -math.Log(zigV/d + math.Exp(-d))
		t.ke[i+1] = uint32(nd / d * m)
		d = nd
		t.fe[i] = math.Exp(-d)
		t.we[i] = d / m
	}
	return
}()

// Binomial returns a Binomial(n, p) variate: inversion by sequential
// search when n·min(p, 1−p) < 10, otherwise Hörmann's BTRD
// (transformed rejection with decomposition; J. Stat. Comput. Simul. 46,
// 1993). p ≥ 1 gives n; p ≤ 0 or n ≤ 0 gives 0.
func (s *Stream) Binomial(n int64, p float64) int64 {
	if n <= 0 || !(p > 0) {
		return 0
	}
	if p >= 1 {
		return n
	}
	flip := p > 0.5
	if flip {
		p = 1 - p
	}
	var k int64
	if float64(n)*p < 10 {
		k = s.binomialInversion(n, p)
	} else {
		k = s.btrd(n, p)
	}
	if flip {
		return n - k
	}
	return k
}

func (s *Stream) binomialInversion(n int64, p float64) int64 {
	q := 1 - p
	ratio := p / q
	a := float64(n+1) * ratio
	for {
		r := math.Pow(q, float64(n))
		u := s.Float64()
		var x int64
		for u > r {
			u -= r
			x++
			if x > n {
				break // rounding: start again
			}
			r *= a/float64(x) - ratio
		}
		if x <= n {
			return x
		}
	}
}

// stirlingTail is log(k!) − [(k+½)·log(k+1) − (k+1) + ½·log(2π)].
func stirlingTail(k int64) float64 {
	if k < 10 {
		return stirlingTable[k]
	}
	r := 1 / float64(k+1)
	rr := r * r
	return (1.0/12 - (1.0/360-rr/1260)*rr) * r
}

var stirlingTable = [10]float64{
	0.08106146679532733,
	0.04134069595540946,
	0.027677925684997717,
	0.02079067210376584,
	0.01664469118982126,
	0.013876128823072875,
	0.011896709945893313,
	0.010411265261973668,
	0.00925546218270945,
	0.008330563433359472,
}

func (s *Stream) btrd(n int64, p float64) int64 {
	nf := float64(n)
	q := 1 - p
	m := math.Floor((nf + 1) * p)
	r := p / q
	nr := (nf + 1) * r
	npq := nf * p * q
	spq := math.Sqrt(npq)
	b := 1.15 + 2.53*spq
	a := -0.0873 + 0.0248*b + 0.01*p
	c := nf*p + 0.5
	alpha := (2.83 + 5.1/b) * spq
	vr := 0.92 - 4.2/b
	urvr := 0.86 * vr
	for {
		v := s.Float64()
		var u float64
		if v <= urvr {
			u = v/vr - 0.43
			return int64(math.Floor((2*a/(0.5-math.Abs(u))+b)*u + c))
		}
		if v >= vr {
			u = s.Float64() - 0.5
		} else {
			u = v/vr - 0.93
			u = math.Copysign(0.5, u) - u
			v = s.Float64() * vr
		}
		us := 0.5 - math.Abs(u)
		kf := math.Floor((2*a/us+b)*u + c)
		if kf < 0 || kf > nf {
			continue
		}
		k := int64(kf)
		v = v * alpha / (a/(us*us) + b)
		km := math.Abs(kf - m)
		if km <= 15 {
			f := 1.0
			mi := int64(m)
			if mi < k {
				for i := mi + 1; i <= k; i++ {
					f *= nr/float64(i) - r
				}
			} else if mi > k {
				for i := k + 1; i <= mi; i++ {
					v *= nr/float64(i) - r
				}
			}
			if v <= f {
				return k
			}
			continue
		}
		v = math.Log(v)
		rho := (km / npq) * (((km/3+0.625)*km+1.0/6)/npq + 0.5)
		t := -km * km / (2 * npq)
		if v < t-rho {
			return k
		}
		if v > t+rho {
			continue
		}
		mi := int64(m)
		nm := nf - m + 1
		h := (m+0.5)*math.Log((m+1)/(r*nm)) + stirlingTail(mi) + stirlingTail(n-mi)
		nk := nf - kf + 1
		if v <= h+(nf+1)*math.Log(nm/nk)+(kf+0.5)*math.Log(nk*r/(kf+1))-stirlingTail(k)-stirlingTail(n-k) {
			return k
		}
	}
}

// Poisson returns a Poisson(mu) variate: inversion for mu < 10, otherwise
// Hörmann's PTRS (transformed rejection with squeeze; Insurance Math.
// Econom. 12, 1993).
func (s *Stream) Poisson(mu float64) int64 {
	if !(mu > 0) {
		return 0
	}
	if mu < 10 {
		l := math.Exp(-mu)
		for {
			var k int64
			p := l
			u := s.Float64()
			for u > p {
				u -= p
				k++
				p *= mu / float64(k)
				if k > 1000 {
					break // rounding: start again
				}
			}
			if k <= 1000 {
				return k
			}
		}
	}
	smu := math.Sqrt(mu)
	b := 0.931 + 2.53*smu
	a := -0.059 + 0.02483*b
	invAlpha := 1.1239 + 1.1328/(b-3.4)
	vr := 0.9277 - 3.6224/(b-2)
	logMu := math.Log(mu)
	for {
		u := s.Float64() - 0.5
		v := s.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + mu + 0.43)
		if us >= 0.07 && v <= vr {
			return int64(k)
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		lg, _ := math.Lgamma(k + 1)
		if math.Log(v)+math.Log(invAlpha)-math.Log(a/(us*us)+b) <= -mu+k*logMu-lg {
			return int64(k)
		}
	}
}
