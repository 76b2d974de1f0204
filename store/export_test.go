package store

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/tokentop/tokentop/model"
)

// fullStore fills a store with lists, lots, alerts and a firing.
func fullStore(t *testing.T) *Store {
	s := openT(t, t.TempDir())
	applyT(t, s, model.UserChange{PutWatchlist: &model.Watchlist{Name: "Main", Symbols: []string{"BTC", "ETH"}}})
	applyT(t, s, model.UserChange{PutWatchlist: &model.Watchlist{Name: "Alts", Symbols: []string{"SOL"}}})
	for _, id := range []string{"l1", "l2"} {
		applyT(t, s, model.UserChange{PutLot: ptr(sampleLot(id))})
	}
	for _, a := range sampleAlerts() {
		applyT(t, s, model.UserChange{PutAlert: &a})
	}
	applyT(t, s, model.UserChange{AddFiring: &model.AlertFiring{AlertID: "a-above", Symbol: "BTC", Time: t0, Message: "BTC rose above $70,000"}})
	return s
}

func TestExportParseImportRoundTrip(t *testing.T) {
	s := fullStore(t)
	x, err := s.Export(LocalUser, t0)
	if err != nil {
		t.Fatal(err)
	}
	if x.Format != ExportFormat || x.Version != 1 || len(x.Watchlists) != 2 || len(x.Lots) != 2 || len(x.Alerts) != 5 {
		t.Fatalf("export %+v", x)
	}
	data, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	y, err := ParseExport(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(x, y) {
		t.Fatalf("parsed export differs:\n%+v\n%+v", x, y)
	}
	// Into a new store: the same records, in the same order.
	s2 := openT(t, t.TempDir())
	st, err := s2.Import(LocalUser, y, false)
	if err != nil || st != (ImportStats{2, 2, 5}) {
		t.Fatalf("Import: %+v %v", st, err)
	}
	a, _, _ := s.Load(LocalUser)
	b, _, _ := s2.Load(LocalUser)
	a.Firings = nil
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("imported store differs:\n%+v\n%+v", a, b)
	}
	// An empty store exports empty lists, not the lazily made default
	// watchlist.
	e, _ := openT(t, t.TempDir()).Export(LocalUser, t0)
	data, _ = json.Marshal(e)
	if !strings.Contains(string(data), `"watchlists":[],"lots":[],"alerts":[]`) {
		t.Errorf("empty export: %s", data)
	}
}

const goodHead = `{"format":"tokentop-export","version":1,"exported":"2025-03-01T12:00:00Z",`

func TestParseExportErrors(t *testing.T) {
	lot := `{"id":"l1","symbol":"BTC","quantity":1,"cost":2,"opened":"2025-01-01T00:00:00Z"}`
	cases := []struct{ body, want string }{
		{goodHead + `"lots":[` + lot + `,{"id":"x","symbol":"BTC","quantity":0,"cost":1,"opened":"2025-01-01T00:00:00Z"}]}`,
			`lots[1] (id "x"): quantity: must be greater than 0`},
		{goodHead + `"lots":[` + lot + `,` + lot + `]}`, `lots[1] (id "l1"): the id is used twice (also lots[0])`},
		{goodHead + `"lots":[{"id":"l1","symbol":"btc","quantity":1,"cost":1}]}`, `lots[0] (id "l1"): symbol: "btc" is not a token symbol`},
		{goodHead + `"lots":[{"id":"l1","symbol":"BTC","quantity":"1","cost":1}]}`, `lots[0] (id "l1"): quantity must be a number, not string`},
		{goodHead + `"lots":[{"id":"l1","symbol":"BTC","quantity":1,"colour":"red"}]}`, `lots[0] (id "l1"): unknown field "colour"`},
		{goodHead + `"lots":{}}`, `lots must be a list`},
		{goodHead + `"watchlists":[{"name":"W","symbols":["BTC","BTC"]}]}`, `watchlists[0] (name "W"): symbols: BTC is listed twice`},
		{goodHead + `"watchlists":[{"name":"W"},{"name":"W"}]}`, `watchlists[1] (name "W"): the name is used twice (also watchlists[0])`},
		{goodHead + `"watchlists":[{"name":""}]}`, `watchlists[0]: name: is required`},
		{goodHead + `"alerts":[{"id":"a1","symbol":"BTC","kind":"nope"}]}`, `alerts[0] (id "a1"): unknown alert kind "nope"`},
		{goodHead + `"alerts":[{"id":"a1","symbol":"BTC","kind":"move","percent":0.1,"window":"2h"}]}`, `alerts[0] (id "a1"): window: must be 1h, 24h or 168h (7d)`},
		{goodHead + `"alerts":[{"id":"a1","symbol":"BTC","kind":"price_above","price":1,"cooldown":"soon"}]}`, `alerts[0] (id "a1"): not a duration: "soon" (want e.g. 30s, 5m, 24h, 7d)`},
		{goodHead + `"alerts":[{"id":"a1","symbol":"","kind":"price_above","price":1}]}`, `alerts[0] (id "a1"): symbol: is required`},
		{goodHead + `"extra":1}`, `not a tokentop export file: unknown field "extra"`},
		{`{"format":"other","version":1}`, `not a tokentop export file (its format is "other", want "tokentop-export")`},
		{`{"version":1}`, `not a tokentop export file (it has no "format" field)`},
		{`{"format":"tokentop-export","version":2}`, `export version 2 is not supported (this tokentop reads version 1)`},
		{`{"format":"tokentop-export"}`, `the export file has no "version" field`},
		{`[1,2]`, `not a tokentop export file: it is not a JSON object`},
		{`{"format":`, `not a tokentop export file: it is empty or cut short`},
		{`hello`, `not a tokentop export file: it is not valid JSON at byte 1`},
		{``, `not a tokentop export file: it is empty or cut short`},
		{goodHead + `"lots":[]} {}`, `not a tokentop export file: there is more after the end of the data`},
	}
	for _, c := range cases {
		_, err := ParseExport(strings.NewReader(c.body))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s\n  got  %v\n  want %s", c.body, err, c.want)
		}
	}
}

func TestParseExportTooLarge(t *testing.T) {
	r := io.MultiReader(strings.NewReader(goodHead+`"lots":[],"watchlists":[],"alerts":[`), zeros{}, strings.NewReader(`]}`))
	_, err := ParseExport(io.LimitReader(r, MaxExportSize+10))
	if err == nil || !strings.Contains(err.Error(), "larger than 32 MiB") {
		t.Fatalf("got %v", err)
	}
}

// zeros reads spaces forever.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

func TestParseExportLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString(goodHead + `"watchlists":[`)
	for i := range model.MaxWatchlists + 1 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"name":"L%d"}`, i)
	}
	b.WriteString(`]}`)
	_, err := ParseExport(strings.NewReader(b.String()))
	if err == nil || err.Error() != "watchlists: 65 lists, at most 64 allowed" {
		t.Errorf("got %v", err)
	}
}

func TestImportMerge(t *testing.T) {
	s := fullStore(t)
	lot := sampleLot("l1")
	lot.Quantity = 9
	x := Export{
		Watchlists: []model.Watchlist{{Name: "Main", Symbols: []string{"ETH", "XRP"}}, {Name: "New", Symbols: []string{"TON"}}},
		Lots:       []model.Lot{lot, sampleLot("l3")},
		Alerts:     []model.Alert{{ID: "a-new", Symbol: "BTC", Kind: model.AlertPriceBelow, Price: 1}},
	}
	if _, err := s.Import(LocalUser, x, false); err != nil {
		t.Fatal(err)
	}
	d, _, _ := s.Load(LocalUser)
	wantLists := []model.Watchlist{{Name: "Main", Symbols: []string{"BTC", "ETH", "XRP"}}, {Name: "Alts", Symbols: []string{"SOL"}}, {Name: "New", Symbols: []string{"TON"}}}
	if !reflect.DeepEqual(d.Watchlists, wantLists) {
		t.Errorf("watchlists %+v", d.Watchlists)
	}
	if len(d.Lots) != 3 || d.Lots[0].ID != "l1" || d.Lots[0].Quantity != 9 || d.Lots[2].ID != "l3" {
		t.Errorf("lots %+v", d.Lots)
	}
	if len(d.Alerts) != 6 || d.Alerts[5].ID != "a-new" || len(d.Firings) != 1 {
		t.Errorf("alerts %d, firings %d", len(d.Alerts), len(d.Firings))
	}
}

func TestImportReplaceKeepsFirings(t *testing.T) {
	s := fullStore(t)
	x := Export{Lots: []model.Lot{sampleLot("only")}}
	st, err := s.Import(LocalUser, x, true)
	if err != nil || st != (ImportStats{0, 1, 0}) {
		t.Fatal(st, err)
	}
	d, _, _ := s.Load(LocalUser)
	if len(d.Lots) != 1 || d.Lots[0].ID != "only" || len(d.Alerts) != 0 || len(d.Firings) != 1 ||
		len(d.Watchlists) != 1 || d.Watchlists[0].Name != model.DefaultWatchlist {
		t.Errorf("after replace: %+v", d)
	}
}

// An import that fails anywhere writes nothing.
func TestImportAllOrNothing(t *testing.T) {
	s := fullStore(t)
	before, _, _ := s.Load(LocalUser)
	id := txid(t, s)
	big := model.Watchlist{Name: "Main"}
	for i := range model.MaxWatchlistLen - 1 {
		big.Symbols = append(big.Symbols, fmt.Sprint("S", i))
	}
	x := Export{Lots: []model.Lot{sampleLot("new-lot")}, Watchlists: []model.Watchlist{big}} // Main has BTC, ETH: 1001 after merging
	_, err := s.Import(LocalUser, x, false)
	if err == nil || !strings.Contains(err.Error(), `watchlist "Main": symbols: at most 1000 symbols`) {
		t.Fatalf("got %v", err)
	}
	after, _, _ := s.Load(LocalUser)
	if !reflect.DeepEqual(before, after) || txid(t, s) != id {
		t.Error("a failed import changed the store")
	}
	bad := Export{Lots: []model.Lot{{ID: "x"}}}
	if _, err := s.Import(LocalUser, bad, false); err == nil || !strings.HasPrefix(err.Error(), `lots[0] (id "x"): symbol: is required`) {
		t.Errorf("invalid record: %v", err)
	}
	var many Export
	for i := range model.MaxAlerts {
		many.Alerts = append(many.Alerts, model.Alert{ID: fmt.Sprint("m", i), Symbol: "BTC", Kind: model.AlertPriceAbove, Price: 1})
	}
	if _, err := s.Import(LocalUser, many, false); err == nil || !strings.Contains(err.Error(), "that would make 1005 alerts, more than the 1000 allowed") {
		t.Errorf("too many after merging: %v", err)
	}
	if txid(t, s) != id {
		t.Error("a failed import wrote")
	}
}

// FuzzParseExport: never panics; anything accepted is valid and
// re-exports to an equal value.
func FuzzParseExport(f *testing.F) {
	f.Add(goodHead + `"watchlists":[{"name":"W","symbols":["BTC"]}],"lots":[{"id":"l1","symbol":"BTC","quantity":1,"cost":2,"opened":"2025-01-01T00:00:00+02:00","note":"n"}],"alerts":[{"id":"a","symbol":"","kind":"signal_flip","cooldown":"1h","repeat":true,"created":"2025-01-01T00:00:00Z","last_fired":"2025-01-02T00:00:00Z"}]}`)
	f.Add(goodHead + `"alerts":[{"id":"a1","symbol":"ETH","kind":"move","percent":0.05,"window":"24h"}]}`)
	f.Add(`{"format":"tokentop-export","version":1}`)
	f.Add(`{"format":"tokentop-export","version":1,"lots":null,"LOTS":[]}`)
	f.Fuzz(func(t *testing.T, in string) {
		x, err := ParseExport(strings.NewReader(in))
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r\x1b") {
				t.Fatalf("error not on one clean line: %q", err)
			}
			return
		}
		if err := checkExport(&x); err != nil {
			t.Fatalf("accepted an invalid export: %v", err)
		}
		data, err := json.Marshal(x)
		if err != nil {
			t.Fatalf("accepted export does not marshal: %v", err)
		}
		y, err := ParseExport(strings.NewReader(string(data)))
		if err != nil {
			t.Fatalf("re-export does not parse: %v\n%s", err, data)
		}
		if !reflect.DeepEqual(x, y) {
			t.Fatalf("re-export differs:\n%+v\n%+v", x, y)
		}
	})
}
