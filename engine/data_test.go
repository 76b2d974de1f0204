package engine

import (
	"reflect"
	"strings"
	"testing"

	"github.com/tokentop/tokentop/config"
	"github.com/tokentop/tokentop/model"
	"github.com/tokentop/tokentop/store"
)

// exportOf is an export file whose lots and alerts name syms (an alert on
// "" is a moonshot alert on any token).
func exportOf(t *testing.T, lots, alerts []string) store.Export {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"format": "tokentop-export", "version": 1, "exported": "2026-11-20T10:00:00Z", "lots": [`)
	for i, sym := range lots {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"id": "lot-` + sym + `", "symbol": "` + sym + `", "quantity": 1, "cost": 2, "opened": "2026-03-01T00:00:00Z"}`)
	}
	b.WriteString(`], "alerts": [`)
	for i, sym := range alerts {
		if i > 0 {
			b.WriteString(",")
		}
		if sym == "" {
			b.WriteString(`{"id": "al-any", "symbol": "", "kind": "moonshot", "created": "2026-11-01T00:00:00Z"}`)
			continue
		}
		b.WriteString(`{"id": "al-` + sym + `", "symbol": "` + sym + `", "kind": "price_above", "price": 100, "created": "2026-11-01T00:00:00Z"}`)
	}
	b.WriteString(`]}`)
	x, err := store.ParseExport(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// importRig is a store whose warm-start cache (the last live run) lists
// WARMONLY, and a config whose [feed] symbols are CFGONLY and KRAKONLY
// (Kraken's own list) and whose demo market has its five largest tokens.
func importRig(t *testing.T) (config.Config, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveWarm("live", model.WarmStart{Tokens: []model.WarmToken{{Info: model.TokenInfo{Symbol: "WARMONLY", Name: "Warm"}, Price: 1}}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Feed.Sources = []string{"coinbase", "kraken"}
	cfg.Feed.Symbols = []string{"CFGONLY"}
	cfg.Feed.Exchanges["kraken"].Symbols = []string{"KRAKONLY"}
	cfg.Demo.Tokens = 5 // BTC ETH XRP BNB SOL
	return cfg, dir
}

func recordsOf(t *testing.T, dir string) (lots, alerts []string) {
	t.Helper()
	st, err := store.Open(store.Options{Dir: dir, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, _, err := st.Load(store.LocalUser)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range d.Lots {
		lots = append(lots, l.Symbol)
	}
	for _, a := range d.Alerts {
		alerts = append(alerts, a.Symbol)
	}
	return lots, alerts
}

// TestImportKnowsWhatTheFormsKnow: import applies the forms' rule
// (model.CheckKnownToken) to lots and alerts, against the union of the
// configured symbols, the demo market's tokens and the warm cache's.
func TestImportKnowsWhatTheFormsKnow(t *testing.T) {
	cfg, dir := importRig(t)

	known := exportOf(t, []string{"CFGONLY", "SOL", "WARMONLY"}, []string{"KRAKONLY", "BTC", ""})
	res, err := Import(cfg, dir, store.LocalUser, known, false)
	if err != nil || res.Stats.Lots != 3 || res.Stats.Alerts != 3 || len(res.NotYetKnown) != 0 {
		t.Fatalf("known tokens: %+v, %v", res, err)
	}

	unknown := exportOf(t, []string{"SOL", "ZZZ"}, []string{"QQQ", "ZZZ", ""})
	res, err = Import(cfg, dir, store.LocalUser, unknown, true)
	want := "unknown tokens: ZZZ, QQQ; tokentop knows the [feed] symbols, the demo market's tokens and those of its last live run: add them to [feed] symbols to import these records"
	if err == nil || err.Error() != want {
		t.Fatalf("unknown tokens: %+v\n got %v\nwant %s", res, err, want)
	}
	if lots, alerts := recordsOf(t, dir); len(lots) != 3 || len(alerts) != 3 {
		t.Fatalf("a refused import (with --replace) changed the records: lots %v, alerts %v", lots, alerts)
	}
	_, err = Import(cfg, dir, store.LocalUser, exportOf(t, nil, []string{"ZZZ"}), false)
	if err == nil || !strings.HasPrefix(err.Error(), "unknown token: ZZZ; ") || !strings.Contains(err.Error(), "add it to") {
		t.Fatalf("one unknown alert: %v", err)
	}

	// top = N: Binance's tokens are known only at run time, so the same
	// file is imported and the unknown tokens named.
	cfg.Feed.Sources = []string{"binance", "kraken"}
	cfg.Feed.Top = 20
	res, err = Import(cfg, dir, store.LocalUser, unknown, true)
	if err != nil || res.Stats.Lots != 2 || res.Stats.Alerts != 3 || !reflect.DeepEqual(res.NotYetKnown, []string{"ZZZ", "QQQ"}) {
		t.Fatalf("top = 20: %+v, %v", res, err)
	}
	if lots, alerts := recordsOf(t, dir); len(lots) != 2 || len(alerts) != 3 {
		t.Fatalf("top = 20: lots %v, alerts %v", lots, alerts)
	}
}
