package engine

import (
	"math"
	"testing"

	"github.com/tokentop/tokentop/model"
)

func TestRatingsSortAndUnknowns(t *testing.T) {
	nan := math.NaN()
	views := []*model.TokenView{
		{Symbol: "A", Rank: 2, Change1h: 0.01, TraderGrade: model.NoGrade("x")},
		{Symbol: "B", Rank: 1, Change1h: nan, TraderGrade: model.Grade{Value: 70}},
		{Symbol: "C", Rank: 3, Change1h: 0.05, TraderGrade: model.Grade{Value: 20}},
		{Symbol: "D", Rank: 0, Change1h: 0.01, TraderGrade: model.Grade{Value: 70}},
	}
	order := func() string {
		var s string
		for _, v := range views {
			s += v.Symbol
		}
		return s
	}
	for col, want := range map[string]string{"rank": "BACD", "symbol": "ABCD", "change_1h": "CADB", "trader_grade": "BDCA"} {
		sortViews(views, col)
		if got := order(); got != want {
			t.Errorf("--sort %s: %s, want %s", col, got, want)
		}
	}
	for _, c := range []struct {
		got, want string
	}{
		{textPrice(jnum(nan)), "—"}, {textPrice(112399.567), "112,399.57"}, {textPrice(0.000020861), "0.000020861"},
		{textPrice(2.61224), "2.6122"}, {textChange(jnum(nan)), "—"}, {textChange(0.0068), "+0.68%"}, {textChange(-0.1083), "-10.83%"},
		{textCompact(3.34e9), "3.34B"}, {textCompact(520.5e9), "520.5B"}, {textCompact(712), "712"}, {textCompact(jnum(math.Inf(1))), "—"},
		{csvNum(jnum(nan)), ""}, {csvNum(0.25), "0.25"}, {csvText("=cmd()"), "'=cmd()"},
		{safeText("Bit\x1b[2Jcoin\u0007"), "Bit[2Jcoin"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if b, _ := jnum(nan).MarshalJSON(); string(b) != "null" {
		t.Errorf("NaN marshals to %s", b)
	}
}
