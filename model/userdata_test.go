package model

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestAlertDescribe(t *testing.T) {
	cases := []struct {
		a    Alert
		want string
	}{
		{Alert{Symbol: "BTC", Kind: AlertPriceAbove, Price: 70000}, "BTC price above $70,000.00"},
		{Alert{Symbol: "ETH", Kind: AlertPriceBelow, Price: 1234567.891}, "ETH price below $1,234,567.89"},
		{Alert{Symbol: "PEPE", Kind: AlertPriceBelow, Price: 0.00001234}, "PEPE price below $1.234e-05"},
		{Alert{Symbol: "SOL", Kind: AlertMove, Percent: 0.05, Window: Duration(time.Hour)}, "SOL moves 5% within 1h"},
		{Alert{Kind: AlertMoonshot}, "any token: new moonshot"},
		{Alert{Symbol: "DOGE", Kind: AlertSignalFlip}, "DOGE: signal flip"},
	}
	for _, c := range cases {
		if got := c.a.Describe(); got != c.want {
			t.Errorf("Describe = %q, want %q", got, c.want)
		}
	}
}

func TestUserRecordValidation(t *testing.T) {
	good := Lot{ID: "a1", Symbol: "BTC", Quantity: 1, Cost: 100}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		mod   func(*Lot)
		field string
	}{
		{func(l *Lot) { l.ID = "" }, "id"},
		{func(l *Lot) { l.Symbol = "b tc" }, "symbol"},
		{func(l *Lot) { l.Quantity = -1 }, "quantity"},
		{func(l *Lot) { l.Quantity = 0 }, "quantity"},
		{func(l *Lot) { l.Cost = -0.01 }, "cost"},
		{func(l *Lot) { l.Note = "a\x1b[2Jb" }, "note"},
		{func(l *Lot) { l.Opened = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC) }, "opened"},
	}
	for _, b := range bad {
		l := good
		b.mod(&l)
		err := l.Validate()
		fe, ok := err.(*FieldError)
		if !ok || fe.Field != b.field {
			t.Errorf("%+v: err %v, want a %s error", l, err, b.field)
		}
	}
	w := Watchlist{Name: "Main", Symbols: []string{"BTC", "BTC"}}
	if err := w.Validate(); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("repeated symbol: %v", err)
	}
	a := Alert{ID: "x", Kind: AlertMove, Symbol: "SOL", Percent: 0.05, Window: Duration(2 * time.Hour)}
	if err := a.Validate(); err == nil || err.(*FieldError).Field != "window" {
		t.Errorf("2h window: %v", err)
	}
	a = Alert{ID: "x", Kind: AlertPriceAbove}
	if err := a.Validate(); err == nil || err.(*FieldError).Field != "symbol" {
		t.Errorf("any-token price alert: %v", err)
	}
}

func TestAlertJSONNames(t *testing.T) {
	a := Alert{ID: "x", Symbol: "SOL", Kind: AlertMove, Percent: 0.05, Window: Duration(time.Hour), Cooldown: Duration(30 * time.Minute)}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"kind":"move"`) || !strings.Contains(string(b), `"window":"1h"`) || !strings.Contains(string(b), `"cooldown":"30m"`) {
		t.Errorf("json: %s", b)
	}
	var back Alert
	if err := json.Unmarshal(b, &back); err != nil || back != a {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	// Files written by earlier versions ("1h0m0s") and days read too.
	old := []byte(`{"id":"x","symbol":"SOL","kind":"move","percent":0.05,"window":"1h0m0s","cooldown":"7d"}`)
	if err := json.Unmarshal(old, &back); err != nil || back.Window != Duration(time.Hour) || back.Cooldown != Duration(7*24*time.Hour) {
		t.Errorf("old form: %+v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"kind":"price_sideways"}`), &back); err == nil {
		t.Error("unknown kind accepted")
	}
}

func TestNewIDsDiffer(t *testing.T) {
	now := time.Now()
	seen := map[string]bool{}
	for range 1000 {
		id := NewID(now)
		if seen[id] || !validID(id) {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
}
