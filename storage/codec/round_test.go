package codec

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// oracleRound rounds v to keepBits bits after its leading one, to nearest
// even, with math/big: the independent answer RoundMantissa must give.
// Results past the largest float32 are RoundMantissa's documented choice:
// the largest float32 with keepBits bits.
func oracleRound(v float32, keepBits int) float32 {
	if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || v == 0 {
		return v
	}
	x := new(big.Float).SetMode(big.ToNearestEven).SetPrec(uint(keepBits + 1))
	x.Set(big.NewFloat(float64(v)))
	r, _ := x.Float64()
	if math.Abs(r) > math.MaxFloat32 {
		largest := math.Float32frombits((0x7f800000 - 1) &^ (1<<(MantissaBits-keepBits) - 1))
		return float32(math.Copysign(float64(largest), r))
	}
	return float32(r) // exact: r has at most 24 significant bits
}

// edgeValues are the bit patterns where rounding can go wrong: each
// binade's ends and, for every kept width, the values around its halfway
// points, ties with an even and an odd last kept bit.
func edgeValues() []uint32 {
	var out []uint32
	for _, exp := range []uint32{0, 1, 2, 63, 126, 127, 128, 200, 253, 254} {
		base := exp << 23
		out = append(out, base, base|1, base|0x7fffff, base|0x400000, base|0x3fffff)
		for drop := 1; drop <= MantissaBits; drop++ {
			half := uint32(1) << (drop - 1)
			for _, lastKept := range []uint32{0, 1} {
				m := lastKept << drop
				for _, d := range []int32{-1, 0, 1} {
					for _, high := range []uint32{0, 0x7fffff &^ (1<<(drop+1) - 1)} {
						mant := uint32(int32(m|half|high)+d) & 0x7fffff
						out = append(out, base|mant)
					}
				}
			}
		}
	}
	// The subnormals' leading bits at every position.
	for lead := 0; lead < 23; lead++ {
		out = append(out, 1<<lead, 1<<lead|1, 1<<(lead+1)-1, 1<<lead|1<<lead>>1)
	}
	out = append(out, 0x7f800000, 0x7f800001, 0x7fc00000, 0x7fffffff) // Inf, NaNs
	n := len(out)
	for _, b := range out[:n] {
		out = append(out, b|1<<31)
	}
	return out
}

// checkRounding rounds vals with the transpose's instruction set x and
// checks every result against the oracle, the bound, finiteness and a second
// rounding. It reports the first failure.
func checkRounding(t *testing.T, x isa, vals []float32, keepBits int) bool {
	t.Helper()
	got := make([]float32, len(vals))
	roundMantissa(x, got, vals, keepBits)
	again := make([]float32, len(vals))
	roundMantissa(x, again, got, keepBits)
	for i, v := range vals {
		r := got[i]
		b, rb := math.Float32bits(v), math.Float32bits(r)
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			if rb != b {
				t.Errorf("isa %d, keep %d: %#08x (%g) became %#08x: NaN and Inf must stay as they are", x, keepBits, b, v, rb)
				return false
			}
			continue
		}
		if want := oracleRound(v, keepBits); math.Float32bits(want) != rb {
			t.Errorf("isa %d, keep %d: %#08x (%g) rounds to %#08x (%g), want %#08x (%g)", x, keepBits, b, v, rb, r, math.Float32bits(want), want)
			return false
		}
		if math.IsInf(float64(r), 0) {
			t.Errorf("isa %d, keep %d: finite %g became %g", x, keepBits, v, r)
			return false
		}
		// Exact in float64: both are float32s.
		if err, bound := math.Abs(float64(r)-float64(v)), RelativeErrorBound(keepBits)*math.Abs(float64(v)); err > bound {
			t.Errorf("isa %d, keep %d: %g rounds to %g, error %g above the bound %g", x, keepBits, v, r, err, bound)
			return false
		}
		if math.Float32bits(again[i]) != rb {
			t.Errorf("isa %d, keep %d: rounding %g twice gives %g, then %g", x, keepBits, v, r, again[i])
			return false
		}
	}
	return true
}

func TestRoundMantissaEdges(t *testing.T) {
	var all, noSubnormals []float32
	for _, b := range edgeValues() {
		v := math.Float32frombits(b)
		all = append(all, v)
		if b&0x7f800000 != 0 || b&0x7fffffff == 0 {
			noSubnormals = append(noSubnormals, v)
		}
	}
	// Mixed, so that vectors hold specials beside normal numbers; and once
	// without subnormals, which send a whole vector to the scalar path.
	r := rand.New(rand.NewPCG(7, 8))
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	r.Shuffle(len(noSubnormals), func(i, j int) { noSubnormals[i], noSubnormals[j] = noSubnormals[j], noSubnormals[i] })
	for _, x := range isas() {
		for keep := 1; keep <= MantissaBits; keep++ {
			if !checkRounding(t, x, all, keep) || !checkRounding(t, x, noSubnormals, keep) {
				return
			}
		}
	}
}

func TestRoundMantissaSample(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	vals := make([]float32, 20000)
	for i := range vals {
		vals[i] = math.Float32frombits(r.Uint32())
		if r.IntN(4) == 0 {
			vals[i] = r.Float32() // the model's range
		}
	}
	for _, x := range isas() {
		for keep := 1; keep <= MantissaBits; keep++ {
			if !checkRounding(t, x, vals, keep) {
				return
			}
		}
	}
}

// TestRoundMantissaBound checks the bound alone on many more values than the
// oracle can: every image cell and random bit patterns, every width.
func TestRoundMantissaBound(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	src := make([]float32, 1<<16)
	for i := range src {
		src[i] = math.Float32frombits(r.Uint32())
	}
	for _, im := range smallImages(t) {
		src = append(src, im.v...)
	}
	dst := make([]float32, len(src))
	twice := make([]float32, len(src))
	for keep := 1; keep <= MantissaBits; keep++ {
		RoundMantissa(dst, src, keep)
		RoundMantissa(twice, dst, keep)
		bound := RelativeErrorBound(keep)
		for i, v := range src {
			if math.IsNaN(float64(v)) {
				if math.Float32bits(dst[i]) != math.Float32bits(v) {
					t.Fatalf("keep %d: NaN %#08x became %#08x", keep, math.Float32bits(v), math.Float32bits(dst[i]))
				}
				continue
			}
			if e := math.Abs(float64(dst[i]) - float64(v)); e > bound*math.Abs(float64(v)) || math.IsInf(float64(dst[i]), 0) != math.IsInf(float64(v), 0) {
				t.Fatalf("keep %d: %g rounds to %g, beyond the bound", keep, v, dst[i])
			}
			if math.Float32bits(twice[i]) != math.Float32bits(dst[i]) {
				t.Fatalf("keep %d: rounding %g again changes %g to %g", keep, v, dst[i], twice[i])
			}
		}
	}
}

func TestRoundMantissaKeepAllIsIdentity(t *testing.T) {
	src := make([]float32, 0, 1000)
	for _, b := range edgeValues() {
		src = append(src, math.Float32frombits(b))
	}
	dst := make([]float32, len(src))
	RoundMantissa(dst, src, MantissaBits)
	if i, ok := sameBits(dst, src); !ok {
		t.Fatalf("keep 23 changes %#08x", math.Float32bits(src[i]))
	}
	if RelativeErrorBound(MantissaBits) != 0 {
		t.Errorf("RelativeErrorBound(23) = %g, want 0", RelativeErrorBound(MantissaBits))
	}
}

func TestRoundMantissaInPlace(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	src := randomFrame(r, 1000)
	want := make([]float32, len(src))
	RoundMantissa(want, src, 7)
	RoundMantissa(src, src, 7)
	if i, ok := sameBits(src, want); !ok {
		t.Fatalf("in place, element %d is %g, want %g", i, src[i], want[i])
	}
}

// TestRoundMantissaKnown pins a few values by hand, independently of the oracle.
func TestRoundMantissaKnown(t *testing.T) {
	cases := []struct {
		in   uint32
		keep int
		want uint32
	}{
		{0x3f800000, 1, 0x3f800000},  // 1 stays 1
		{0x3fc00000, 1, 0x3fc00000},  // 1.5 has one mantissa bit
		{0x3fa00000, 1, 0x3f800000},  // 1.25: a tie, to even 1
		{0x3fe00000, 1, 0x40000000},  // 1.75: a tie, to even 2 (carry into the exponent)
		{0x3fa00001, 1, 0x3fc00000},  // just above the tie: 1.5
		{0x7f7fffff, 10, 0x7f7fe000}, // the largest float32: not Inf
		{0x00000003, 1, 0x00000003},  // a subnormal with 2 bits keeps them
		{0x00000007, 1, 0x00000008},  // 0b111 with 1 bit after the lead: to even, 0b1000
		{0x007fffff, 5, 0x00800000},  // the largest subnormal rounds to the smallest normal
		{0x80000000, 3, 0x80000000},  // -0
		{0xbfe00000, 1, 0xc0000000},  // -1.75 to -2
	}
	for _, c := range cases {
		got := []float32{0}
		RoundMantissa(got, []float32{math.Float32frombits(c.in)}, c.keep)
		if b := math.Float32bits(got[0]); b != c.want {
			t.Errorf("keep %d: %#08x rounds to %#08x, want %#08x", c.keep, c.in, b, c.want)
		}
	}
}

// TestRoundMantissaBinade checks every mantissa of one binade, [0.25, 0.5)
// where V mostly lies, at the widths users pick.
func TestRoundMantissaBinade(t *testing.T) {
	src := make([]float32, 1<<23)
	for m := range src {
		src[m] = math.Float32frombits(125<<23 | uint32(m))
	}
	dst := make([]float32, len(src))
	for _, keep := range []int{8, 10, 12, 16} {
		RoundMantissa(dst, src, keep)
		bound := RelativeErrorBound(keep)
		for i, v := range src {
			if math.Abs(float64(dst[i])-float64(v)) > bound*float64(v) {
				t.Fatalf("keep %d: %g rounds to %g, beyond the bound", keep, v, dst[i])
			}
		}
	}
}
