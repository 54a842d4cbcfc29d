package mesh

// mt19937 is the 32-bit Mersenne Twister (Matsumoto & Nishimura 1998,
// ACM TOMACS 8:3-30) with the standard init_genrand seeding. NeuroRD places
// spines with this generator seeded by <spineSeed>, so spinerd uses it for
// spine placement only, to put spines on the same voxels as NeuroRD.
type mt19937 struct {
	state [624]uint32
	index int
}

func newMT19937(seed uint32) *mt19937 {
	m := &mt19937{index: 624}
	m.state[0] = seed
	for i := 1; i < 624; i++ {
		prev := m.state[i-1]
		m.state[i] = 1812433253*(prev^(prev>>30)) + uint32(i)
	}
	return m
}

func (m *mt19937) twist() {
	const upper, lower, matrixA = 0x80000000, 0x7fffffff, 0x9908b0df
	for i := 0; i < 624; i++ {
		y := (m.state[i] & upper) | (m.state[(i+1)%624] & lower)
		v := m.state[(i+397)%624] ^ (y >> 1)
		if y&1 != 0 {
			v ^= matrixA
		}
		m.state[i] = v
	}
	m.index = 0
}

// uint32 returns the next tempered output.
func (m *mt19937) uint32() uint32 {
	if m.index >= 624 {
		m.twist()
	}
	y := m.state[m.index]
	m.index++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// float returns a uniform number in [0, 1) built, as NeuroRD does, from the
// top 24 bits of one output (single-precision resolution).
func (m *mt19937) float() float64 {
	return float64(m.uint32()>>8) / (1 << 24)
}
