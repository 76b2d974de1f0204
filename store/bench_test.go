package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/tokentop/tokentop/model"
)

// go test -bench . -benchmem ./store

// BenchmarkApplyPutLot: one lot saved (a transaction and its fsync), in a
// portfolio of 1000 lots.
func BenchmarkApplyPutLot(b *testing.B) {
	s := openT(b, b.TempDir())
	lots := make([]model.Lot, 1000)
	for i := range lots {
		lots[i] = sampleLot(fmt.Sprint("lot-", i))
		if err := s.Apply(LocalUser, model.UserChange{PutLot: &lots[i]}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		l := &lots[i%len(lots)]
		l.Quantity = float64(i + 1)
		if err := s.Apply(LocalUser, model.UserChange{PutLot: l}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSaveJournalUnchanged: the keeper's every-10s call when nothing
// changed (100 tokens with 50 flips each, open and past picks): no write.
func BenchmarkSaveJournalUnchanged(b *testing.B) {
	s := openT(b, b.TempDir())
	snap := journalSnap(100, 50, 200)
	if err := s.SaveJournal("live", snap); err != nil {
		b.Fatal(err)
	}
	id := txid(b, s)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := s.SaveJournal("live", snap); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if txid(b, s) != id {
		b.Fatal("an unchanged journal was written")
	}
}

// The warm cache of 100 tokens with full history (1440 + 720 + 366 bars
// each, ~10 MB).
func BenchmarkSaveWarm100(b *testing.B) {
	s := openT(b, b.TempDir())
	w := model.WarmStart{Saved: time.Now(), Tokens: warmTokens(100, 5000)}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := s.SaveWarm("live", w); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadWarm100(b *testing.B) {
	s := openT(b, b.TempDir())
	if err := s.SaveWarm("live", model.WarmStart{Saved: time.Now(), Tokens: warmTokens(100, 5000)}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w, err := s.LoadWarm("live", 0, time.Now())
		if err != nil || len(w.Tokens) != 100 {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen100: opening a store holding that warm cache (the whole
// file is checked before bbolt sees it).
func BenchmarkOpen100(b *testing.B) {
	dir := b.TempDir()
	s := openT(b, dir)
	if err := s.SaveWarm("live", model.WarmStart{Saved: time.Now(), Tokens: warmTokens(100, 5000)}); err != nil {
		b.Fatal(err)
	}
	s.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s, err := Open(Options{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// BenchmarkLoadUser: loading a user with 1,000 lots, 100 alerts, 10
// watchlists and 500 firings (what a session does when it starts);
// every record's checksum is checked.
func BenchmarkLoadUser(b *testing.B) {
	s := openT(b, b.TempDir())
	user := LocalUser
	ws := make([]model.Watchlist, 10)
	for i := range ws {
		ws[i] = model.Watchlist{Name: fmt.Sprint("List ", i), Symbols: []string{"BTC", "ETH", "SOL", "XRP", "DOGE"}}
	}
	x := Export{Watchlists: ws}
	for i := range 1000 {
		x.Lots = append(x.Lots, sampleLot(fmt.Sprint("lot-", i)))
	}
	for i := range 100 {
		a := sampleAlerts()[i%5]
		a.ID = fmt.Sprint("alert-", i)
		x.Alerts = append(x.Alerts, a)
	}
	if _, err := s.Import(user, x, false); err != nil {
		b.Fatal(err)
	}
	for i := range 500 {
		f := model.AlertFiring{AlertID: "alert-1", Symbol: "BTC", Time: t0.Add(time.Duration(i) * time.Minute), Message: "BTC rose above $70,000"}
		if err := s.Apply(user, model.UserChange{AddFiring: &f}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		d, rep, err := s.Load(user)
		if err != nil || rep.Skipped != 0 || len(d.Lots) != 1000 || len(d.Firings) != 500 {
			b.Fatal(err, rep)
		}
	}
}

// BenchmarkRecordSum: the checksum of a record under its path and key,
// as every read and write computes it: a 200-byte lot, and a 100 KB warm
// token (a full history).
func BenchmarkRecordSum(b *testing.B) {
	for _, size := range []int{200, 100 << 10} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			p := userPath(LocalUser).child(bucketLots)
			k := []byte("mhx3k2-1a2b3c4d")
			payload := make([]byte, size)
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for range b.N {
				recordSum(p, k, payload)
			}
		})
	}
}
