package tokenmetrics

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/tokentop/tokentop/model"
)

func TestParseRatingsFixtures(t *testing.T) {
	nan := math.NaN()
	day := func(d int) time.Time { return time.Date(2025, 6, d, 0, 0, 0, 0, time.UTC) }
	type want struct {
		sym                string
		date               time.Time
		tm, trader, invest float64
		sig                model.Signal
		hasSig             bool
	}
	cases := map[string][]want{
		"v2/tm-grade.json": {{"BTC", time.Time{}, 64.37, nan, nan, 0, false}, {"ETH", time.Time{}, 48.9, nan, nan, 0, false}},
		"v3/tm-grade.json": {{"BTC", time.Time{}, 64.37, nan, nan, 0, false}, {"ETH", time.Time{}, 48.9, nan, nan, 0, false}},
		"v2/tm-grade-history.json": {{"BTC", day(2), 64.37, nan, nan, 0, false}, {"BTC", day(1), 62.42, nan, nan, 0, false},
			{"BTC", time.Date(2025, 5, 31, 0, 0, 0, 0, time.UTC), 60.88, nan, nan, 0, false}},
		// v3 history rows carry trading_signal and token_signal_str.
		"v3/tm-grade-history.json": {{"BTC", day(2), 64.37, nan, nan, 0, true}, {"BTC", day(1), 62.42, nan, nan, 0, true},
			{"BTC", time.Date(2025, 5, 31, 0, 0, 0, 0, time.UTC), 60.88, nan, nan, 1, true}},
		"v2/trader-grades.json":   {{"BTC", day(2), nan, 64.37, nan, 0, false}, {"ETH", day(2), nan, 48.9, nan, 0, false}},
		"v2/investor-grades.json": {{"BTC", day(2), nan, nan, 79.84, 0, false}, {"ETH", day(2), nan, nan, 74.18, 0, false}},
		"v2/trading-signals.json": {{"BTC", day(2), nan, 64.37, 79.84, 1, true}, {"ETH", day(2), nan, 48.9, 74.18, -1, true},
			{"BTC", day(1), nan, 62.42, 79.61, 1, true}, {"ETH", day(1), nan, 50.11, 74.52, 1, true}},
		"v3/trading-signals.json": {{"BTC", day(2), 64.37, nan, nan, 1, true}, {"ETH", day(2), 48.9, nan, nan, -1, true},
			{"BTC", day(1), 62.42, nan, nan, 1, true}, {"ETH", day(1), 50.11, nan, nan, 1, true}},
		"v2/hourly-trading-signals.json": {{"BTC", time.Date(2025, 6, 2, 11, 0, 0, 0, time.UTC), nan, nan, nan, 0, true},
			{"BTC", time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC), nan, nan, nan, 0, true},
			{"BTC", time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC), nan, nan, nan, 1, true}},
		// The ReadMe example names tokens only by TOKEN_NAME "BTC".
		"doc_examples/trader_grades_readme_example.json": {{"BTC", time.Date(2023, 10, 10, 0, 0, 0, 0, time.UTC), nan, 18.41, nan, 0, false},
			{"ETH", time.Date(2023, 10, 10, 0, 0, 0, 0, time.UTC), nan, 21.39, nan, 0, false}},
		"doc_examples/trading_signals_observed.json": {{"BTC", time.Date(2025, 4, 10, 0, 0, 0, 0, time.UTC), nan, 26.48, 58.23, -1, true}},
		"v2/empty.json": nil,
	}
	same := func(a, b float64) bool { return math.IsNaN(a) && math.IsNaN(b) || near(a, b) }
	for name, wants := range cases {
		rows, bad, err := ParseRatings(fixture(t, name))
		if err != nil || bad != 0 || len(rows) != len(wants) {
			t.Errorf("%s: %d rows, %d bad, %v", name, len(rows), bad, err)
			continue
		}
		for i, w := range wants {
			r := rows[i]
			if r.Symbol != w.sym || !r.Date.Equal(w.date) || !same(r.TMGrade, w.tm) || !same(r.TraderGrade, w.trader) ||
				!same(r.InvestorGrade, w.invest) || r.Signal != w.sig || r.HasSignal != w.hasSig {
				t.Errorf("%s row %d: %+v, want %+v", name, i, r, w)
			}
		}
	}
}

func TestParseRatingsLiberal(t *testing.T) {
	body := `{"SUCCESS":true,"data":{"Token_Symbol":" sol ","TM_GRADE":" 71.5% ","token_trend_str":"down","date":1748865600}}`
	rows, bad, err := ParseRatings([]byte(body))
	if err != nil || bad != 0 || len(rows) != 1 {
		t.Fatalf("%v %d %v", rows, bad, err)
	}
	r := rows[0]
	if r.Symbol != "SOL" || r.TMGrade != 71.5 || r.Signal != model.SignalBearish || !r.Date.Equal(time.Unix(1748865600, 0)) {
		t.Errorf("%+v", r)
	}
	// A bare array, nulls and "N/A" are fine; a row with no grade at all is not.
	rows, bad, err = ParseRatings([]byte(`[{"symbol":"X1","tm_grade":null,"TM_TRADER_GRADE":"N/A","tm_investor_grade":"12"},{"symbol":"X2"}]`))
	if err != nil || bad != 1 || len(rows) != 1 || rows[0].InvestorGrade != 12 || !math.IsNaN(rows[0].TraderGrade) {
		t.Errorf("%+v %d %v", rows, bad, err)
	}
	for _, c := range []struct{ body, want string }{
		{"", "empty answer"},
		{"<html>", "not JSON"},
		{`{"success":false,"message":"Invalid API key\u001b[2J"}`, "the API reported a failure: Invalid API key"},
		{`{"success":true,"data":[1,2`, "JSON cut short"},
		{`{"success":true,"data":"x"}`, "rows are not objects"},
		{`{"foo":1}`, "no data rows in the answer"},
		{`{"data":[` + strings.Repeat(`{},`, maxRows) + `{}]}`, "more than 10000 rows"},
	} {
		if _, _, err := ParseRatings([]byte(c.body)); err == nil || err.Error() != c.want {
			t.Errorf("%.40q: %v, want %q", c.body, err, c.want)
		}
	}
	if rows, _, err := ParseRatings([]byte(`{"success":true,"data":null}`)); err != nil || len(rows) != 0 {
		t.Errorf("null data: %v %v", rows, err)
	}
}

func TestParseMoonshotsFixtures(t *testing.T) {
	active, bad, err := ParseMoonshots(fixture(t, "v3/inferred/moonshot-tokens.json"))
	if err != nil || bad != 0 || len(active) != 2 {
		t.Fatalf("v3: %v %d %v", active, bad, err)
	}
	if m := active[1]; m.Symbol != "QFN" || !near(m.ROI, -0.0412) || !near(m.Grade, 76.03) || !near(m.MarketCap, 7351902.4) ||
		!m.Active() || !math.IsNaN(m.EntryPrice) || !m.Entry.Equal(time.Date(2025, 5, 31, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("v3 QFN %+v", m)
	}
	past, bad, err := ParseMoonshots(fixture(t, "v2/moonshot-tokens-past.json"))
	if err != nil || bad != 0 || len(past) != 2 {
		t.Fatalf("past: %v %d %v", past, bad, err)
	}
	if m := past[0]; m.Symbol != "DRFT" || !m.Exit.Equal(time.Date(2025, 5, 6, 18, 0, 0, 0, time.UTC)) || !near(m.ROI, 0.4137) {
		t.Errorf("past DRFT %+v", m)
	}
	// Bad rows are skipped: no entry time, ROI below -100%, a negative cap.
	_, bad, err = ParseMoonshots([]byte(`{"data":[{"TOKEN_SYMBOL":"A","MOONSHOT_ROI":1},
		{"TOKEN_SYMBOL":"B","MOONSHOT_AT":"2025-01-01","MOONSHOT_ROI":-150},
		{"TOKEN_SYMBOL":"C","MOONSHOT_AT":"2025-01-01","MOONSHOT_ROI":5,"MARKET_CAP":"-1"}]}`))
	if err != nil || bad != 3 {
		t.Errorf("bad rows: %d, %v", bad, err)
	}
}

// seeds adds every testdata file to a fuzz corpus.
func seeds(f *testing.F) {
	err := filepath.WalkDir("testdata", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(path, "fuzz") {
			return err
		}
		b, err := os.ReadFile(path)
		if err == nil {
			f.Add(b)
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"success":true,"data":[{"token_symbol":"BTC","tm_grade":"1e308","token_trend":"NaN","date":-1}]}`))
}

func safe(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

func FuzzParseRatings(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		rows, bad, err := ParseRatings(body)
		if err != nil {
			if len(rows) != 0 || !safe(err.Error()) {
				t.Fatalf("error %q with %d rows", err, len(rows))
			}
			return
		}
		if bad < 0 {
			t.Fatal("negative bad count")
		}
		for _, r := range rows {
			if !validSymbol(r.Symbol) || !safe(r.Name) {
				t.Fatalf("row %+v", r)
			}
			for _, g := range []float64{r.TMGrade, r.TraderGrade, r.InvestorGrade} {
				if !math.IsNaN(g) && !(g >= 0 && g <= 100) {
					t.Fatalf("grade %v out of range in %+v", g, r)
				}
			}
			if r.Signal < model.SignalBearish || r.Signal > model.SignalBullish {
				t.Fatalf("signal %v", r.Signal)
			}
		}
	})
}

func FuzzParseMoonshots(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		picks, _, err := ParseMoonshots(body)
		if err != nil {
			if !safe(err.Error()) {
				t.Fatalf("error %q", err)
			}
			return
		}
		for _, m := range picks {
			if !validSymbol(m.Symbol) || !safe(m.Name) || m.Entry.IsZero() || math.IsNaN(m.ROI) || math.IsInf(m.ROI, 0) || m.ROI < -1 ||
				math.IsNaN(m.MarketCap) || math.IsNaN(m.Volume24h) || m.MarketCap < 0 {
				t.Fatalf("pick %+v", m)
			}
			if !math.IsNaN(m.Grade) && !(m.Grade >= 0 && m.Grade <= 100) {
				t.Fatalf("grade %v", m.Grade)
			}
		}
	})
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "7", "Mon, 02 Jun 2025 12:01:00 GMT", "-1", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		if d := RetryAfter(h, scene); d < time.Second || d > time.Hour {
			t.Fatalf("RetryAfter(%q) = %v", h, d)
		}
	})
}

func BenchmarkParseRatings(b *testing.B) {
	body := fixture(b, "v2/trading-signals.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if rows, _, err := ParseRatings(body); err != nil || len(rows) != 4 {
			b.Fatal(rows, err)
		}
	}
}
