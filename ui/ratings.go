package ui

import (
	"math"
	"strconv"

	"github.com/charmbracelet/lipgloss"
	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/internal/safetext"
)

// Formatting of ratings: grades, bands, signals and factor bars. Like
// format.go, the append functions allocate nothing when dst has room.

// appendGrade writes a 0..100 grade as a whole number, "—" when absent.
// Values outside 0..100 (which the engine never publishes) are clamped.
func appendGrade(dst []byte, v float64) []byte {
	if bad(v) {
		return append(dst, unknown...)
	}
	return strconv.AppendInt(dst, int64(math.Round(min(max(v, 0), 100))), 10)
}

// appendGradeChange writes a change of grade in points, signed: +5.0, -12.3.
func appendGradeChange(dst []byte, v float64) []byte {
	if bad(v) {
		return append(dst, unknown...)
	}
	v = min(max(v, -100), 100)
	if math.Abs(v) < 0.05 {
		return append(dst, "0.0"...)
	}
	if v > 0 {
		dst = append(dst, '+')
	}
	return strconv.AppendFloat(dst, v, 'f', 1, 64)
}

// signalCell is the table's signal text: a glyph and a word, readable
// without colour.
func signalCell(s model.Signal) string {
	switch s {
	case model.SignalBullish:
		return "▲ bull"
	case model.SignalBearish:
		return "▼ bear"
	}
	return "■ neut"
}

// signalLabel is the long form: "▲ bullish".
func signalLabel(s model.Signal) string {
	switch s {
	case model.SignalBullish:
		return "▲ bullish"
	case model.SignalBearish:
		return "▼ bearish"
	}
	return "■ neutral"
}

// gradeSpan colours a grade cell by its band: strong bands bold.
func gradeSpan(p *rowPalette, g model.Grade) span {
	if !g.Present() {
		return p.flat
	}
	switch g.Band {
	case model.StrongBullish:
		return p.strongUp
	case model.Bullish:
		return p.up
	case model.Bearish:
		return p.down
	case model.StrongBearish:
		return p.strongDown
	}
	return p.flat
}

// bandStyle is gradeSpan for lipgloss-rendered panes.
func bandStyle(st *Styles, g model.Grade) lipgloss.Style {
	if !g.Present() {
		return st.Flat
	}
	switch g.Band {
	case model.StrongBullish:
		return st.Up.Bold(true)
	case model.Bullish:
		return st.Up
	case model.Bearish:
		return st.Down
	case model.StrongBearish:
		return st.Down.Bold(true)
	}
	return st.Flat
}

// signalStyle colours a signal.
func signalStyle(st *Styles, s model.Signal) lipgloss.Style {
	switch s {
	case model.SignalBullish:
		return st.Up
	case model.SignalBearish:
		return st.Down
	}
	return st.Flat
}

// gradeValueStyle colours a bare 0..100 value (an official grade, a grade
// at a flip) by the default bands.
func gradeValueStyle(st *Styles, v float64) lipgloss.Style {
	switch {
	case bad(v):
		return st.Flat
	case v >= 65:
		return st.Up
	case v <= 35:
		return st.Down
	}
	return st.Flat
}

// barEighths are the partial blocks, one to eight eighths of a cell.
const barEighths = "▏▎▍▌▋▊▉█"

// appendBar draws score (0..100) as a bar of exactly w cells: full blocks,
// one partial block, spaces. An unknown score is all spaces.
func appendBar(dst []byte, score float64, w int) []byte {
	if w <= 0 {
		return dst
	}
	if bad(score) {
		return appendSpaces(dst, w)
	}
	e := int(math.Round(min(max(score, 0), 100) / 100 * float64(w*8)))
	full, part := e/8, e%8
	for range full {
		dst = append(dst, "█"...)
	}
	n := full
	if part > 0 {
		dst = append(dst, barEighths[3*(part-1):3*part]...)
		n++
	}
	return appendSpaces(dst, w-n)
}

// appendFactorRaw writes a factor's measured value in its unit: "%" is a
// fraction shown as a signed percentage, "x" a ratio, "$" an amount in
// USD, "" a plain number (another short unit is written after it).
func appendFactorRaw(dst []byte, f model.Factor) []byte {
	if bad(f.Raw) {
		return append(dst, unknown...)
	}
	switch f.Unit {
	case "%":
		return appendChange(dst, f.Raw)
	case "$":
		if f.Raw < 0 {
			dst = append(dst, '-')
		}
		dst = append(dst, '$')
		return appendCompact(dst, math.Abs(f.Raw))
	case "x":
		v := min(max(f.Raw, -1e6), 1e6)
		dst = strconv.AppendFloat(dst, v, 'f', 2, 64)
		return append(dst, 'x')
	}
	v := f.Raw
	switch a := math.Abs(v); {
	case a >= 1e6:
		return appendCompact(dst, v)
	case a >= 100:
		return strconv.AppendFloat(dst, v, 'f', 0, 64)
	}
	dst = strconv.AppendFloat(dst, v, 'f', 1, 64)
	if u := safetext.Line(f.Unit, maxShown); u != "" && textWidth(u) <= 4 {
		dst = append(dst, u...)
	}
	return dst
}

// appendWeight writes a normalised weight as a whole percentage.
func appendWeight(dst []byte, w float64) []byte {
	if bad(w) || w < 0 {
		return append(dst, unknown...)
	}
	dst = strconv.AppendInt(dst, int64(math.Round(min(w, 1)*100)), 10)
	return append(dst, '%')
}

// appendPoints writes a contribution in grade points: 18.0.
func appendPoints(dst []byte, v float64) []byte {
	if bad(v) {
		return append(dst, unknown...)
	}
	return strconv.AppendFloat(dst, min(max(v, -100), 100), 'f', 1, 64)
}

// appendROI writes a return as a signed percentage; "—" when unknown.
func appendROI(dst []byte, frac float64) []byte { return appendChange(dst, frac) }
