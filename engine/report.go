package engine

// report.go is the ratings report of `tokentop ratings`: the table,
// moonshots and track record of one snapshot, written as text, JSON or
// CSV for scripts and cron jobs.

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/tokentop/tokentop/model"
)

// RatingsSortColumns are the columns a report sorts by, in table order.
var RatingsSortColumns = []string{"rank", "symbol", "name", "price", "change_1h", "change_24h", "change_7d",
	"volume", "market_cap", "trader_grade", "investor_grade", "signal"}

// RatingsReport is what `tokentop ratings` prints. Its JSON form is the --json
// output.
type RatingsReport struct {
	Time string `json:"time"` // market clock, RFC 3339
	Demo bool   `json:"demo"`
	Seed int64  `json:"seed,omitempty"` // demo only
	// Sources are the live feeds and their states when the table was taken.
	Sources       []string       `json:"sources,omitempty"`
	Tokens        []tokenRating  `json:"tokens"`
	Moonshots     []moonshotJSON `json:"moonshots"`
	PastMoonshots []moonshotJSON `json:"past_moonshots"`
	Track         trackJSON      `json:"track_record"`
}

type tokenRating struct {
	Rank          int           `json:"rank"`
	Symbol        string        `json:"symbol"`
	Name          string        `json:"name"`
	Price         jnum          `json:"price"`
	Change1h      jnum          `json:"change_1h"`
	Change24h     jnum          `json:"change_24h"`
	Change7d      jnum          `json:"change_7d"`
	Volume24h     jnum          `json:"volume_24h"`
	MarketCap     jnum          `json:"market_cap"`
	TraderGrade   gradeJSON     `json:"trader_grade"`
	InvestorGrade gradeJSON     `json:"investor_grade"`
	Signal        *string       `json:"signal"` // null without a Trader Grade
	Signals       []flipJSON    `json:"signal_history"`
	Official      *officialJSON `json:"official,omitempty"`
}

type gradeJSON struct {
	Value     jnum         `json:"value"`
	Band      *string      `json:"band"`
	Reason    string       `json:"reason,omitempty"`
	Change24h jnum         `json:"change_24h"`
	Change7d  jnum         `json:"change_7d"`
	Factors   []factorJSON `json:"factors"`
}

type factorJSON struct {
	Name         string `json:"name"`
	Raw          jnum   `json:"raw"`
	Unit         string `json:"unit"`
	Score        jnum   `json:"score"`
	Weight       jnum   `json:"weight"`
	Contribution jnum   `json:"contribution"`
}

type flipJSON struct {
	Time   string `json:"time"`
	From   string `json:"from"`
	To     string `json:"to"`
	Price  jnum   `json:"price"`
	Grade  jnum   `json:"grade"`
	Return jnum   `json:"return"`
}

type officialJSON struct {
	Provider      string  `json:"provider"`
	TMGrade       jnum    `json:"tm_grade"`
	TraderGrade   jnum    `json:"trader_grade"`
	InvestorGrade jnum    `json:"investor_grade"`
	Signal        *string `json:"signal"`
	Updated       string  `json:"updated"`
}

type moonshotJSON struct {
	Symbol     string `json:"symbol"`
	Name       string `json:"name"`
	Entry      string `json:"entry"`
	EntryPrice jnum   `json:"entry_price"`
	EntryGrade jnum   `json:"entry_grade"`
	Price      jnum   `json:"price"`
	ROI        jnum   `json:"roi"`
	PeakROI    jnum   `json:"peak_roi"`
	Grade      jnum   `json:"grade"`
	Volume24h  jnum   `json:"volume_24h"`
	MarketCap  jnum   `json:"market_cap"`
	Exit       string `json:"exit,omitempty"`
	ExitReason string `json:"exit_reason,omitempty"`
}

type trackJSON struct {
	Picks     int  `json:"picks"`
	Hits      int  `json:"hits"`
	HitRate   jnum `json:"hit_rate"`
	MedianROI jnum `json:"median_roi"`
	MeanROI   jnum `json:"mean_roi"`
}

// jnum is a number that is null in JSON when unknown (NaN or infinite).
type jnum float64

func (n jnum) known() bool { return !math.IsNaN(float64(n)) && !math.IsInf(float64(n), 0) }

func (n jnum) MarshalJSON() ([]byte, error) {
	if !n.known() {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(n), 'g', -1, 64), nil
}

// unknownZero is a number whose zero means unknown (market cap, supply).
func unknownZero(v float64) jnum {
	if v <= 0 {
		return jnum(math.NaN())
	}
	return jnum(v)
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// ReportOptions shape a ratings report.
type ReportOptions struct {
	Demo  bool   // the market is the simulated one (the seed is reported)
	Seed  int64  // the demo's seed
	Sort  string // one of RatingsSortColumns; "" is rank
	Limit int    // the first Limit tokens; 0 is all
}

// BuildRatingsReport takes the table, moonshots and track record of snap
// in the report's shape, sorted and limited as o says.
func BuildRatingsReport(snap *model.Snapshot, o ReportOptions) RatingsReport {
	seed := o.Seed
	rep := RatingsReport{Time: rfc3339(snap.Time), Demo: o.Demo, Seed: seed,
		Tokens: []tokenRating{}, Moonshots: []moonshotJSON{}, PastMoonshots: []moonshotJSON{}}
	if !o.Demo {
		rep.Seed = 0
		for _, f := range snap.Feeds.All() {
			rep.Sources = append(rep.Sources, SafeLine(f.Name)+" "+f.State.String())
		}
	}
	views := snap.Tokens.Clone() // our own copy: sortViews sorts it
	sortViews(views, o.Sort)
	if o.Limit > 0 && len(views) > o.Limit {
		views = views[:o.Limit]
	}
	for _, tv := range views {
		if tv == nil {
			continue
		}
		r := tokenRating{
			Rank: tv.Rank, Symbol: safeText(tv.Symbol), Name: safeText(tv.Name),
			Price: unknownZero(tv.Price), Change1h: jnum(tv.Change1h), Change24h: jnum(tv.Change24h), Change7d: jnum(tv.Change7d),
			Volume24h: jnum(tv.Volume24h), MarketCap: unknownZero(tv.MarketCap),
			TraderGrade: gradeOf(tv.TraderGrade), InvestorGrade: gradeOf(tv.InvestorGrade),
			Signals: []flipJSON{},
		}
		if tv.TraderGrade.Present() {
			s := tv.Signal.String()
			r.Signal = &s
		}
		for _, f := range tv.Signals.All() {
			r.Signals = append(r.Signals, flipJSON{Time: rfc3339(f.Time), From: f.From.String(), To: f.To.String(),
				Price: jnum(f.Price), Grade: jnum(f.Grade), Return: jnum(f.Return)})
		}
		if of := tv.Official; of != nil {
			oj := &officialJSON{Provider: safeText(of.Provider), TMGrade: jnum(of.TMGrade), TraderGrade: jnum(of.TraderGrade),
				InvestorGrade: jnum(of.InvestorGrade), Updated: rfc3339(of.Updated)}
			if of.HasSignal {
				s := of.Signal.String()
				oj.Signal = &s
			}
			r.Official = oj
		}
		rep.Tokens = append(rep.Tokens, r)
	}
	for _, m := range snap.Moonshots.All() {
		rep.Moonshots = append(rep.Moonshots, moonshotOf(m))
	}
	for _, m := range snap.PastMoonshots.All() {
		rep.PastMoonshots = append(rep.PastMoonshots, moonshotOf(m))
	}
	t := snap.Track
	rep.Track = trackJSON{Picks: t.Picks, Hits: t.Hits, HitRate: jnum(t.HitRate), MedianROI: jnum(t.MedianROI), MeanROI: jnum(t.MeanROI)}
	return rep
}

func gradeOf(g model.Grade) gradeJSON {
	out := gradeJSON{Value: jnum(g.Value), Reason: safeText(g.Reason), Change24h: jnum(g.Change24h), Change7d: jnum(g.Change7d), Factors: []factorJSON{}}
	if g.Present() {
		b := g.Band.String()
		out.Band = &b
	}
	for _, f := range g.Factors.All() {
		out.Factors = append(out.Factors, factorJSON{Name: safeText(f.Name), Raw: jnum(f.Raw), Unit: safeText(f.Unit),
			Score: jnum(f.Score), Weight: jnum(f.Weight), Contribution: jnum(f.Contribution)})
	}
	return out
}

func moonshotOf(m model.Moonshot) moonshotJSON {
	return moonshotJSON{Symbol: safeText(m.Symbol), Name: safeText(m.Name), Entry: rfc3339(m.Entry), EntryPrice: jnum(m.EntryPrice),
		EntryGrade: jnum(m.EntryGrade), Price: jnum(m.Price), ROI: jnum(m.ROI), PeakROI: jnum(m.PeakROI), Grade: jnum(m.Grade),
		Volume24h: jnum(m.Volume24h), MarketCap: unknownZero(m.MarketCap), Exit: rfc3339(m.Exit), ExitReason: safeText(m.ExitReason)}
}

// sortViews orders tokens by column: names ascending, numbers largest
// first, unknown values last; ties by rank, then symbol.
func sortViews(views []*model.TokenView, col string) {
	num := func(tv *model.TokenView) float64 {
		switch col {
		case "price":
			return tv.Price
		case "change_1h":
			return tv.Change1h
		case "change_24h":
			return tv.Change24h
		case "change_7d":
			return tv.Change7d
		case "volume":
			return tv.Volume24h
		case "market_cap":
			if tv.MarketCap <= 0 {
				return math.NaN()
			}
			return tv.MarketCap
		case "trader_grade":
			return tv.TraderGrade.Value
		case "investor_grade":
			return tv.InvestorGrade.Value
		case "signal":
			if !tv.TraderGrade.Present() {
				return math.NaN()
			}
			return float64(tv.Signal)
		}
		return math.NaN()
	}
	rank := func(tv *model.TokenView) int {
		if tv.Rank <= 0 {
			return math.MaxInt
		}
		return tv.Rank
	}
	slices.SortStableFunc(views, func(a, b *model.TokenView) int {
		if a == nil || b == nil {
			return cmp.Compare(boolInt(a == nil), boolInt(b == nil))
		}
		c := 0
		switch col {
		case "rank":
		case "symbol":
			c = strings.Compare(a.Symbol, b.Symbol)
		case "name":
			c = cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		default:
			x, y := num(a), num(b)
			xu, yu := !jnum(x).known(), !jnum(y).known()
			switch {
			case xu && yu:
			case xu:
				c = 1
			case yu:
				c = -1
			default:
				c = cmp.Compare(y, x)
			}
		}
		if c == 0 {
			c = cmp.Compare(rank(a), rank(b))
		}
		if c == 0 {
			c = strings.Compare(a.Symbol, b.Symbol)
		}
		return c
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (rep RatingsReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

var csvHeader = []string{"rank", "symbol", "name", "price", "change_1h", "change_24h", "change_7d", "volume_24h",
	"market_cap", "trader_grade", "investor_grade", "signal"}

func (rep RatingsReport) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, r := range rep.Tokens {
		sig := ""
		if r.Signal != nil {
			sig = *r.Signal
		}
		rank := ""
		if r.Rank > 0 {
			rank = strconv.Itoa(r.Rank)
		}
		if err := cw.Write([]string{rank, csvText(r.Symbol), csvText(r.Name), csvNum(r.Price), csvNum(r.Change1h), csvNum(r.Change24h),
			csvNum(r.Change7d), csvNum(r.Volume24h), csvNum(r.MarketCap), csvNum(r.TraderGrade.Value), csvNum(r.InvestorGrade.Value), sig}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvNum(n jnum) string {
	if !n.known() {
		return ""
	}
	return strconv.FormatFloat(float64(n), 'f', -1, 64)
}

// csvText keeps a spreadsheet from reading a name as a formula.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}

const dash = "—"

func (rep RatingsReport) WriteText(w io.Writer) error {
	header := []string{"#", "Symbol", "Name", "Price", "1h", "24h", "7d", "Vol 24h", "Mkt Cap", "Trader", "Investor", "Signal"}
	right := []bool{true, false, false, true, true, true, true, true, true, true, true, false}
	rows := [][]string{header}
	for _, r := range rep.Tokens {
		rank := dash
		if r.Rank > 0 {
			rank = strconv.Itoa(r.Rank)
		}
		sig := dash
		if r.Signal != nil {
			sig = *r.Signal
		}
		rows = append(rows, []string{rank, r.Symbol, cut(r.Name, 18), textPrice(r.Price), textChange(r.Change1h), textChange(r.Change24h),
			textChange(r.Change7d), textCompact(r.Volume24h), textCompact(r.MarketCap), textGrade(r.TraderGrade.Value),
			textGrade(r.InvestorGrade.Value), sig})
	}
	width := make([]int, len(header))
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], runeLen(c))
		}
	}
	source := fmt.Sprintf("simulated market, seed %d", rep.Seed)
	if !rep.Demo {
		source = "live: " + strings.Join(rep.Sources, ", ")
	}
	if _, err := fmt.Fprintf(w, "tokentop ratings · %s · %s market time · %d tokens\n",
		source, strings.Replace(strings.TrimSuffix(rep.Time, "Z"), "T", " ", 1)+" UTC", len(rep.Tokens)); err != nil {
		return err
	}
	var b strings.Builder
	for _, row := range rows {
		b.Reset()
		for i, c := range row {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-runeLen(c))
			if right[i] {
				b.WriteString(pad + c)
			} else if i < len(row)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
		}
		b.WriteByte('\n')
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	if len(rep.Moonshots) > 0 || rep.Track.Picks > 0 {
		line := fmt.Sprintf("Moonshots: %d open", len(rep.Moonshots))
		for i, m := range rep.Moonshots {
			sep := ","
			if i == 0 {
				sep = ":"
			}
			if i == 5 {
				line += ", …"
				break
			}
			line += fmt.Sprintf("%s %s %s", sep, m.Symbol, textChange(m.ROI))
		}
		line += fmt.Sprintf(" · past picks %d, hit rate %s, median ROI %s\n", rep.Track.Picks, textPct(rep.Track.HitRate), textChange(rep.Track.MedianROI))
		if _, err := io.WriteString(w, line); err != nil {
			return err
		}
	}
	return nil
}

func runeLen(s string) int { return len([]rune(s)) }

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// textPrice: 2 decimals from 100, 3 from 10, 4 from 1, five significant
// digits below 1; thousands separated.
func textPrice(n jnum) string {
	v := float64(n)
	if !n.known() || v <= 0 {
		return dash
	}
	dec := 2
	switch {
	case v >= 100:
	case v >= 10:
		dec = 3
	case v >= 1:
		dec = 4
	default:
		dec = min(4-int(math.Floor(math.Log10(v))), 20)
	}
	s := strconv.FormatFloat(v, 'f', dec, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	return groupThousands(intPart) + "." + frac
}

func groupThousands(s string) string {
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	lead := len(s) % 3
	if lead > 0 {
		b.WriteString(s[:lead])
	}
	for i := lead; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

func textChange(n jnum) string {
	if !n.known() {
		return dash
	}
	return fmt.Sprintf("%+.2f%%", float64(n)*100)
}

func textPct(n jnum) string {
	if !n.known() {
		return dash
	}
	return strconv.FormatFloat(float64(n)*100, 'f', 0, 64) + "%"
}

func textGrade(n jnum) string {
	if !n.known() {
		return dash
	}
	return strconv.FormatFloat(float64(n), 'f', 1, 64)
}

// textCompact: 3.34B, 520.5B, 712.0K; below a thousand whole numbers.
func textCompact(n jnum) string {
	v := float64(n)
	if !n.known() || v < 0 {
		return dash
	}
	units := []struct {
		size   float64
		suffix string
	}{{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "K"}}
	for _, u := range units {
		if v >= u.size {
			x := v / u.size
			if x >= 100 {
				return strconv.FormatFloat(x, 'f', 1, 64) + u.suffix
			}
			return strconv.FormatFloat(x, 'f', 2, 64) + u.suffix
		}
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// safeText drops control characters (so every escape sequence's ESC) and
// invalid UTF-8 from a string bound for output.
func safeText(s string) string {
	clean := true
	for _, r := range s {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r != unicode.ReplacementChar && unicode.IsPrint(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// SafeLine makes an error one printable line.
func SafeLine(s string) string {
	if safeText(s) == s {
		return s
	}
	return strconv.QuoteToASCII(s)
}
