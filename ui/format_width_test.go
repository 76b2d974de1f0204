package ui

import (
	"math"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/tokentop/tokentop/model"
)

// numberFormat is one of the UI's number formatters and the most cells it
// may ever write: the width of the narrowest column or pane slot it fills.
type numberFormat struct {
	name  string
	width int
	fn    func(dst []byte, v float64) []byte
}

var numberFormats = []numberFormat{
	{"price", 13, appendPrice},                 // table price column: 13 digits (+ space and tick mark)
	{"unit cost", 13, appendUnitCost},          // lot rows: a price
	{"quantity", 12, appendQty},                // trade rows: qtyW
	{"compact", 7, appendCompact},              // volumes, notionals ("-999.9B", "<-999T")
	{"cap", 7, appendCapOrUnknown},             // Mkt Cap column (9)
	{"change", 7, appendChange},                // 1h/24h/7d columns (8)
	{"percent", 7, appendPercent},              // volatility
	{"roi", 7, appendROI},                      // moonshot ROI
	{"grade", 3, appendGrade},                  // Trader/Invest columns
	{"grade change", 6, appendGradeChange},     // detail pane
	{"points", 6, appendPoints},                // factor contributions
	{"weight", 4, appendWeight},                // factor weights
	{"money", 13, appendMoney},                 // portfolio values
	{"pnl", 14, appendPnL},                     // portfolio P&L
	{"signed compact", 8, appendSignedCompact}, // portfolio P&L, compact
	{"rate", 7, appendRate},                    // status bar msg/s
	{"signed money $", 15, func(dst []byte, v float64) []byte { return appendSignedMoney(dst, v, true) }},
	{"factor %", 7, func(dst []byte, v float64) []byte { return appendFactorRaw(dst, model.Factor{Raw: v, Unit: "%"}) }},
	{"factor $", 8, func(dst []byte, v float64) []byte { return appendFactorRaw(dst, model.Factor{Raw: v, Unit: "$"}) }},
	{"factor x", 12, func(dst []byte, v float64) []byte { return appendFactorRaw(dst, model.Factor{Raw: v, Unit: "x"}) }},
	{"factor plain", 10, func(dst []byte, v float64) []byte {
		return appendFactorRaw(dst, model.Factor{Raw: v, Unit: "d"})
	}},
}

// specialFloats are the values that broke formatters before (issue 14:
// 1e59, 1e-61) and the edges of float64.
var specialFloats = []float64{
	0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.Inf(-1), math.NaN(),
	math.MaxFloat64, -math.MaxFloat64, 1e308, -1e308, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64,
	5e-324, 2.2250738585072014e-308, 1e59, 1e-61, -1e59, -1e-61,
	999.95e12, 999.949e12, 1e15, 9.9999e6, 1e7, 99999, 999999.5, 0.999995, 0.99999, 9.99999e-8,
	1e-5, 1.2345e-7, 1.2345e-12, math.Nextafter(1, 0), math.Nextafter(1e7, 0), 1 << 53, -(1 << 62),
}

// checkWidth fails when a formatter writes more cells than its column, or
// anything but printable text.
func checkWidth(t *testing.T, f numberFormat, v float64) {
	t.Helper()
	out := f.fn(make([]byte, 0, 64), v)
	if !utf8.Valid(out) {
		t.Fatalf("%s(%v) = %q: invalid UTF-8", f.name, v, out)
	}
	for _, r := range string(out) {
		if !unicode.IsPrint(r) {
			t.Fatalf("%s(%v) = %q: unprintable %U", f.name, v, out, r)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s(%v) wrote nothing", f.name, v)
	}
	if n := cells(out); n > f.width {
		t.Fatalf("%s(%v) = %q: %d cells, its column holds %d", f.name, v, out, n, f.width)
	}
}

// Every number formatter keeps its column's width for any float64.
func TestNumberFormatsKeepTheirWidth(t *testing.T) {
	for _, f := range numberFormats {
		for _, v := range specialFloats {
			checkWidth(t, f, v)
			checkWidth(t, f, -v)
		}
		// Every power of ten and the values just around it, both signs.
		for e := -324; e <= 308; e++ {
			p := math.Pow(10, float64(e))
			for _, v := range []float64{p, math.Nextafter(p, 0), math.Nextafter(p, math.Inf(1)), p * 9.99995, p * 0.99995} {
				checkWidth(t, f, v)
				checkWidth(t, f, -v)
			}
		}
	}
}

func FuzzNumberFormatsKeepTheirWidth(f *testing.F) {
	for _, v := range specialFloats {
		f.Add(math.Float64bits(v))
	}
	f.Fuzz(func(t *testing.T, bits uint64) {
		v := math.Float64frombits(bits)
		for _, nf := range numberFormats {
			checkWidth(t, nf, v)
		}
	})
}

// The hot formatters stay allocation-free on absurd input too.
func TestNumberFormatsDoNotAllocateOnAbsurdInput(t *testing.T) {
	buf := make([]byte, 0, 64)
	for _, nf := range numberFormats {
		if n := testing.AllocsPerRun(20, func() {
			for _, v := range specialFloats {
				_ = nf.fn(buf[:0], v)
			}
		}); n != 0 && nf.name != "factor plain" { // a plain factor sanitises its unit text
			t.Errorf("%s allocates %v times", nf.name, n)
		}
	}
}

// One price of each magnitude the table shows, tiny ones included.
func BenchmarkAppendPrice(b *testing.B) {
	prices := []float64{67012.5, 3456.78, 46.259, 1.2345, 0.52345, 0.000012345, 3.0928e-07, 1.2345e-12}
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = appendPrice(buf[:0], prices[i%len(prices)])
	}
}
