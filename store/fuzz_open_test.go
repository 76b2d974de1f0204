package store

import (
	"os"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tokentop/tokentop/model"
)

// FuzzOpenDamagedStore patches bytes of a real store file (several
// users, every kind of record, the journal and the warm cache) and opens
// it. Open must never crash the process, and must either refuse the file
// (CorruptError or ForeignError, file untouched) or accept one that
// bbolt's own Check finds sound, whose every loaded record is as it was
// stored and whose every record not loaded is named as damaged (the flip
// experiment's rule, tryFlip), and that takes a write.
func FuzzOpenDamagedStore(f *testing.F) {
	base, _ := buildFlipStore(f)
	want := soundContents(f, base)
	ps := uint32(os.Getpagesize())
	f.Add(uint32(0), []byte{})
	f.Add(uint32(pageHeaderSize+40), []byte{0xff, 0xff})   // meta 0's page count
	f.Add(uint32(ps+pageHeaderSize+16), []byte{9})         // meta 1's root
	f.Add(3*ps+8, []byte{1, 0})                            // a page's type
	f.Add(3*ps+10, []byte{0xff, 0xff})                     // a page's count
	f.Add(3*ps+pageHeaderSize+4, []byte{0xff, 0xff, 0, 0}) // an element's offset
	f.Add(4*ps+pageHeaderSize+8, []byte{2, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, off uint32, patch []byte) {
		if len(patch) > 64 {
			patch = patch[:64]
		}
		data := append([]byte(nil), base...)
		copy(data[int(off)%len(data):], patch)
		out, why := tryFlip(t, data, want, func(s *Store) {
			s.db.View(func(tx *bolt.Tx) error {
				for err := range tx.Check() {
					t.Fatalf("Open accepted a file bbolt's Check rejects: %v", err)
				}
				return nil
			})
			s.Users()
			s.Export(flipUsers[1], time.Now())
			for _, u := range flipUsers {
				if err := s.Apply(u, model.UserChange{PutLot: ptr(sampleLot("fuzz"))}); err != nil {
					t.Fatalf("a write to an accepted store failed: %v", err)
				}
			}
			s.SaveWarm("live", model.WarmStart{Tokens: warmTokens(1, 5)})
			s.SaveJournal("live", journalSnap(1, 1, 1))
			if err := s.TouchUser(fingerprint("carol"), "carol", time.Now()); err != nil {
				t.Fatalf("TouchUser on an accepted store failed: %v", err)
			}
		})
		switch out {
		case silentChange:
			t.Fatalf("silent change: %s", why)
		case refusedOther:
			if !strings.Contains(why, "not a tokentop store") {
				t.Fatalf("refused without a clear error: %s", why)
			}
		}
	})
}
