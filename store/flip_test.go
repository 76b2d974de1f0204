package store

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tokentop/tokentop/model"
)

// The flip experiment (docs/RELIABILITY.md, "Store damage"):
//
//	go test -run TestBitFlips -flips 300 -v ./store
var (
	flipCount = flag.Int("flips", 60, "TestBitFlips: how many single-bit flips to try (300 for the full experiment)")
	flipSeed  = flag.Uint64("flipseed", 1, "TestBitFlips: the seed that places the flips")
)

// flipUsers are the users of the experiment's store.
var flipUsers = []string{LocalUser, fingerprint("alice"), fingerprint("bob")}

// buildFlipStore makes a store with records of every kind for several
// users (one with enough lots to need branch pages), a ratings journal
// and a warm cache, written in many transactions so the file also has
// free pages. It returns the file's bytes and the page size.
func buildFlipStore(t testing.TB) ([]byte, int) {
	t.Helper()
	dir := t.TempDir()
	// A fixed clock, so the file is the same on every run, but for the
	// order of pages bbolt writes when one transaction changes several
	// buckets (it walks a Go map): the counts of TestBitFlips vary by a
	// few between runs; the rule holds on every run.
	s, err := Open(Options{Dir: dir, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	apply := func(user string, ch model.UserChange) {
		t.Helper()
		if err := s.Apply(user, ch); err != nil {
			t.Fatal(err)
		}
	}
	for ui, user := range flipUsers {
		if err := s.TouchUser(user, fmt.Sprint("user ", ui), t0); err != nil {
			t.Fatal(err)
		}
		apply(user, model.UserChange{PutWatchlist: &model.Watchlist{Name: "Main", Symbols: []string{"BTC", "ETH", "SOL"}}})
		apply(user, model.UserChange{PutWatchlist: &model.Watchlist{Name: "Small caps", Symbols: []string{"TIDE", "PEPE"}}})
		lots := []int{12, 160, 3}[ui]
		for i := range lots {
			l := sampleLot(fmt.Sprintf("u%d-lot-%03d", ui, i))
			l.Quantity = float64(i + 1)
			apply(user, model.UserChange{PutLot: &l})
		}
		for _, a := range sampleAlerts() {
			a.ID = fmt.Sprintf("u%d-%s", ui, a.ID)
			apply(user, model.UserChange{PutAlert: &a})
		}
		for i := range 8 {
			apply(user, model.UserChange{AddFiring: &model.AlertFiring{AlertID: fmt.Sprintf("u%d-a-above", ui), Symbol: "BTC",
				Time: t0.Add(time.Duration(i) * time.Minute), Message: fmt.Sprintf("BTC rose above $70,000 (%d)", i), Price: 70000 + float64(i)}})
		}
		apply(user, model.UserChange{DeleteLot: fmt.Sprintf("u%d-lot-%03d", ui, 1)}) // frees a little
	}
	if err := s.SaveJournal("live", journalSnap(12, 6, 30)); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second save frees the first one's pages
		if err := s.SaveWarm("live", model.WarmStart{Saved: t0, Tokens: warmTokens(3, 40)}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	data, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	return data, os.Getpagesize()
}

// storeContents is everything a store's readers return.
type storeContents struct {
	users   map[string]model.UserData
	reports map[string]LoadReport
	journal model.Journal
	jrep    LoadReport
	warm    *model.WarmStart
	wrep    LoadReport
}

func readContents(t testing.TB, s *Store) storeContents {
	t.Helper()
	c := storeContents{users: map[string]model.UserData{}, reports: map[string]LoadReport{}}
	for _, u := range flipUsers {
		d, rep, err := s.Load(u)
		if err != nil {
			t.Fatalf("Load(%s): %v", u, err)
		}
		c.users[u], c.reports[u] = d, rep
	}
	var err error
	if c.journal, c.jrep, err = s.LoadJournal("live"); err != nil {
		t.Fatal(err)
	}
	s.db.View(func(tx *bolt.Tx) error {
		c.warm = loadWarm(tx, "live", 0, t0, &c.wrep)
		return nil
	})
	return c
}

// flipOutcome is what one flip did.
type flipOutcome int

const (
	refusedCorrupt flipOutcome = iota // Open: CorruptError
	refusedOther                      // Open: another clear error (ForeignError)
	noEffect                          // opened; every record as it was, nothing reported
	namedDamage                       // opened; what was not loaded is named as damaged, the rest as it was
	silentChange                      // a record changed, appeared or vanished without a word
)

var outcomeNames = [...]string{
	refusedCorrupt: "Open refused it as damaged (CorruptError)",
	refusedOther:   "Open refused it as not a tokentop store (ForeignError)",
	noEffect:       "opened; every record loaded as it was (the bit was unused)",
	namedDamage:    "opened; damaged records named and not loaded, all others as they were",
	silentChange:   "SILENT: a record changed, appeared or vanished unreported",
}

// TestBitFlips flips one bit of a store file at a time, at positions
// spread over every page, and opens and loads it: Open must fail with a
// clear error, or every record loaded must equal the original and every
// record not loaded must be named as damaged. Zero silent changes.
func TestBitFlips(t *testing.T) {
	if testing.Short() && *flipCount > 60 {
		t.Skip("the long experiment")
	}
	base, pageSize := buildFlipStore(t)
	pages := len(base) / pageSize
	want := soundContents(t, base)

	rng := rand.New(rand.NewPCG(*flipSeed, 0x5107))
	var counts [len(outcomeNames)]int
	n := *flipCount
	for i := range n {
		page := i * pages / n // every page, evenly
		if n > pages {
			page = i % pages
		}
		off := page*pageSize + rng.IntN(pageSize)
		bit := byte(1) << rng.IntN(8)
		data := slices.Clone(base)
		data[off] ^= bit
		out, why := tryFlip(t, data, want, nil)
		counts[out]++
		if out == silentChange {
			t.Errorf("flip of bit %#02x at byte %d (page %d, +%d): %s", bit, off, page, off%pageSize, why)
		}
		if testing.Verbose() && out != noEffect {
			t.Logf("byte %6d (page %3d +%4d) bit %#02x: %s: %s", off, page, off%pageSize, bit, outcomeNames[out], why)
		}
	}
	t.Logf("%d single-bit flips over %d pages of %d bytes (seed %d):", n, pages, pageSize, *flipSeed)
	for o, c := range counts {
		t.Logf("  %4d  %s", c, outcomeNames[o])
	}
}

// soundContents is what the undamaged store file base holds.
func soundContents(t testing.TB, base []byte) storeContents {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), base, 0o600); err != nil {
		t.Fatal(err)
	}
	s := openT(t, dir)
	defer s.Close()
	c := readContents(t, s)
	for u, rep := range c.reports {
		if rep.Skipped != 0 {
			t.Fatalf("the sound store reports %s: %+v", u, rep)
		}
	}
	if c.jrep.Skipped+c.wrep.Skipped != 0 || c.warm == nil {
		t.Fatal("the sound store's journal or warm cache reports damage")
	}
	return c
}

// tryFlip opens a copy of data and classifies what it does. then, when
// not nil, gets the store when Open accepted it.
func tryFlip(t testing.TB, data []byte, want storeContents, then func(*Store)) (flipOutcome, string) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(Options{Dir: dir})
	if err != nil {
		after, _ := os.ReadFile(path)
		if !slices.Equal(after, data) {
			return silentChange, "a refused file was modified: " + err.Error()
		}
		var ce *CorruptError
		var fe *ForeignError
		switch {
		case errors.As(err, &ce):
			return refusedCorrupt, err.Error()
		case errors.As(err, &fe):
			return refusedOther, err.Error()
		}
		return silentChange, "Open failed without a clear error: " + err.Error()
	}
	defer s.Close()
	got := readContents(t, s)
	var problems, named []string
	for _, u := range flipUsers {
		p, n := compareUser(want.users[u], got.users[u], got.reports[u])
		problems = append(problems, prefixAll(u, p)...)
		named = append(named, n...)
	}
	p, n := compareJournal(want.journal, got.journal, got.jrep)
	problems, named = append(problems, p...), append(named, n...)
	p, n = compareWarm(want.warm, got.warm, got.wrep)
	problems, named = append(problems, p...), append(named, n...)
	if then != nil {
		then(s)
	}
	switch {
	case len(problems) > 0:
		return silentChange, strings.Join(problems, "; ")
	case len(named) > 0:
		return namedDamage, strings.Join(named, "; ")
	}
	return noEffect, ""
}

func prefixAll(p string, ss []string) []string {
	for i := range ss {
		ss[i] = p + ": " + ss[i]
	}
	return ss
}

// item is one record as the comparison sees it: the bucket and key a
// report would name it by, and its value.
type item struct {
	bucket, key string
	v           any
}

// compareItems checks that got is want with some items left out, in
// order, and that each left-out one is named in the report: by its key,
// by its bucket or a bucket above, or (a renamed key) by a damaged key
// of the same bucket. It returns the problems (silent changes) and the
// damage reasons that explain what is missing.
func compareItems(want, got []item, rep LoadReport, ancestors []string) (problems, named []string) {
	j := 0
	var missing []item
	for _, g := range got {
		for j < len(want) && !reflect.DeepEqual(want[j].v, g.v) {
			missing = append(missing, want[j])
			j++
		}
		if j == len(want) {
			problems = append(problems, fmt.Sprintf("%s/%s: loaded but not as it was stored (or out of order)", g.bucket, g.key))
			continue
		}
		j++
	}
	missing = append(missing, want[j:]...)
	if len(missing) == 0 {
		return problems, nil
	}
	if rep.Damaged == 0 {
		for _, m := range missing {
			problems = append(problems, fmt.Sprintf("%s/%s: missing, and nothing reported", m.bucket, m.key))
		}
		return problems, nil
	}
	truncated := len(rep.Reasons) == maxReasons && rep.Skipped > maxReasons
	perBucket := map[string]int{} // damaged keys per bucket of a missing item
	covered := map[string]bool{}  // buckets (and keys) named as damaged
	for _, r := range rep.Reasons {
		where, _, _ := strings.Cut(r, ": ")
		if !strings.Contains(r, "damaged") {
			continue
		}
		covered[where] = true
		for _, m := range missing {
			if _, seen := perBucket[m.bucket]; !seen {
				perBucket[m.bucket] = 0
			}
		}
		for b := range perBucket {
			if strings.HasPrefix(where, b+"/") {
				perBucket[b]++
			}
		}
	}
	for _, m := range missing {
		ok := truncated || covered[m.bucket] || covered[m.bucket+"/"+m.key]
		for _, a := range ancestors {
			ok = ok || covered[a]
		}
		if !ok && perBucket[m.bucket] > 0 {
			perBucket[m.bucket]-- // a key renamed by the flip is named by its new name
			ok = true
		}
		if !ok {
			problems = append(problems, fmt.Sprintf("%s/%s: missing, not named (report %q)", m.bucket, m.key, rep.Reasons))
		}
	}
	return problems, rep.Reasons
}

func compareUser(want, got model.UserData, rep LoadReport) (problems, named []string) {
	if len(got.Watchlists) == 1 && got.Watchlists[0].Name == model.DefaultWatchlist && len(got.Watchlists[0].Symbols) == 0 {
		got.Watchlists = nil // made by Load when none loaded
	}
	var w, g []item
	add := func(list *[]item, bucket string, recs any, key func(i int) string) {
		rv := reflect.ValueOf(recs)
		for i := range rv.Len() {
			*list = append(*list, item{bucket, key(i), rv.Index(i).Interface()})
		}
	}
	for _, side := range []struct {
		list *[]item
		d    model.UserData
	}{{&w, want}, {&g, got}} {
		d := side.d
		add(side.list, "watchlists", d.Watchlists, func(i int) string { return shownKey([]byte(d.Watchlists[i].Name)) })
		add(side.list, "lots", d.Lots, func(i int) string { return d.Lots[i].ID })
		add(side.list, "alerts", d.Alerts, func(i int) string { return d.Alerts[i].ID })
		add(side.list, "firings", d.Firings, func(i int) string { return shownTimeKey(firingKey(&d.Firings[i])) })
	}
	// Anything at the user's level (its bucket, info, a damaged sibling
	// in users) names every record of the user.
	var anc []string
	for _, r := range rep.Reasons {
		where, _, _ := strings.Cut(r, ": ")
		if strings.HasPrefix(where, "users") || where == "info" {
			anc = append(anc, where)
		}
	}
	return compareItems(w, g, rep, anc)
}

func compareJournal(want, got model.Journal, rep LoadReport) (problems, named []string) {
	var w, g []item
	for _, side := range []struct {
		list *[]item
		j    model.Journal
	}{{&w, want}, {&g, got}} {
		syms := make([]string, 0, len(side.j.Flips))
		for sym := range side.j.Flips {
			syms = append(syms, sym)
		}
		slices.Sort(syms)
		for _, sym := range syms {
			*side.list = append(*side.list, item{"journal/live/flips", sym, show(side.j.Flips[sym])})
		}
		for i, m := range side.j.Open {
			*side.list = append(*side.list, item{"journal/live/open", fmt.Sprint(i), show(m)})
		}
		for i := range side.j.Past {
			m := &side.j.Past[i]
			*side.list = append(*side.list, item{"journal/live/past", shownTimeKey(pastKey(m)), show(*m)})
		}
	}
	return compareItems(w, g, rep, []string{"journal", "journal/live"})
}

func compareWarm(want, got *model.WarmStart, rep LoadReport) (problems, named []string) {
	var w, g []item
	if got != nil && !got.Saved.Equal(want.Saved) {
		return []string{"warm: saved at another time"}, nil
	}
	for _, side := range []struct {
		list *[]item
		ws   *model.WarmStart
	}{{&w, want}, {&g, got}} {
		if side.ws == nil {
			continue
		}
		for _, tok := range side.ws.Tokens {
			*side.list = append(*side.list, item{"warm/live/tokens", tok.Info.Symbol, tok})
		}
	}
	return compareItems(w, g, rep, []string{"warm", "warm/live", "warm/live/saved"})
}
