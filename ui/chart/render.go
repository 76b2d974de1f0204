package chart

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"
)

// sentinel is rendered once per style to learn the escape codes the style
// wraps text in; each run of cells is then wrapped in those codes, instead
// of going through lipgloss cell by cell.
const sentinel = "x"

// styleCodes returns what style s writes before and after its text. Only
// colours and attributes are kept: layout (width, padding, margins,
// borders) would break the chart's exact size. A style that changes the
// text itself (a transform) is dropped.
func styleCodes(s lipgloss.Style) (pre, post string) {
	s = s.Inline(true).UnsetWidth().UnsetMaxWidth().UnsetHeight().UnsetMaxHeight().
		UnsetPadding().UnsetMargins().UnsetBorderStyle()
	out := s.Render(sentinel)
	i := strings.Index(out, sentinel)
	if i < 0 {
		return "", ""
	}
	pre, post = out[:i], out[i+len(sentinel):]
	if strings.Contains(pre, sentinel) || strings.Contains(post, sentinel) || !onlyEscapes(pre) || !onlyEscapes(post) {
		return "", ""
	}
	return pre, post
}

// onlyEscapes says whether s is nothing but ANSI escape sequences, so that
// it takes no cells on screen.
func onlyEscapes(s string) bool {
	for i := 0; i < len(s); {
		if s[i] != 0x1b || i+1 >= len(s) {
			return false
		}
		switch s[i+1] {
		case '[': // CSI: parameters, then a final byte 0x40-0x7e
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			if j >= len(s) {
				return false
			}
			i = j + 1
		case ']': // OSC, ended by BEL or ST
			j := i + 2
			for j < len(s) && s[j] != 0x07 && !(s[j] == 0x1b && j+1 < len(s) && s[j+1] == '\\') {
				j++
			}
			if j >= len(s) {
				return false
			}
			if s[j] == 0x07 {
				i = j + 1
			} else {
				i = j + 2
			}
		default:
			return false
		}
	}
	return true
}

// String joins the cells into h lines, one escape-code pair per run of
// cells of the same style.
func (c *canvas) String(st *Style) string {
	var pre, post [nClasses]string
	pre[clLine], post[clLine] = styleCodes(st.Line)
	pre[clUp], post[clUp] = styleCodes(st.Up)
	pre[clDown], post[clDown] = styleCodes(st.Down)
	pre[clAxis], post[clAxis] = styleCodes(st.Axis)
	pre[clLabel], post[clLabel] = styleCodes(st.Label)
	if c.hasLast {
		last := st.Line
		switch c.lastClass {
		case clUp:
			last = st.Up
		case clDown:
			last = st.Down
		}
		pre[clLast], post[clLast] = styleCodes(last.Reverse(true))
	}

	codes := 0
	for i := range pre {
		codes += len(pre[i]) + len(post[i])
	}
	buf := make([]byte, 0, c.w*c.h*3+c.h+codes*c.h*2)
	for y := 0; y < c.h; y++ {
		if y > 0 {
			buf = append(buf, '\n')
		}
		row := y * c.w
		for x := 0; x < c.w; {
			cl := c.class[row+x]
			end := x + 1
			for end < c.w && c.class[row+end] == cl {
				end++
			}
			buf = append(buf, pre[cl]...)
			for _, r := range c.runes[row+x : row+end] {
				if r < utf8.RuneSelf {
					buf = append(buf, byte(r))
				} else {
					buf = utf8.AppendRune(buf, r)
				}
			}
			buf = append(buf, post[cl]...)
			x = end
		}
	}
	return string(buf)
}
