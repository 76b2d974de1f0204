package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"

	bolt "go.etcd.io/bbolt"
)

// Schema 3 checks what it reads (SCHEMA.md, "Checksums"):
//
//   - Every stored value is sealed: its payload, then the CRC-32C of the
//     bucket path, the key and the payload (4 bytes, big-endian). A flip in
//     the value, in its key, or in the name of any bucket above it, makes
//     the record's checksum fail: the record is reported as damaged and
//     never used, and it stays in the file.
//   - Every bucket but meta holds a tally under the key 0x00: how many other
//     keys it holds and its sequence number, sealed with the bucket's own
//     path. A record that vanished (a page that lost entries) or a bucket
//     that was renamed by damage shows as a tally that does not match.
//
// The rest (page headers, branch elements, the free list, the meta pages)
// is checked by inspect before bbolt sees the file.

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

const sumLen = 4 // the checksum after a sealed payload

// keyTally is the tally's key: one zero byte, which sorts before any
// record key (IDs, names, symbols and time keys never start with 0).
var keyTally = []byte{0}

func isTally(k []byte) bool { return len(k) == 1 && k[0] == 0 }

// Tags in the checksummed sequence, so a path element, a key and the
// payload can never be mistaken for one another.
var (
	tagName = []byte{1}
	tagKey  = []byte{2}
)

// smallLens[n] is the one-byte uvarint of n < 128, so the length of a key
// is added to a checksum without an allocation.
var smallLens = func() (b [128]byte) {
	for i := range b {
		b[i] = byte(i)
	}
	return
}()

// sumBytes adds a length-prefixed byte string to a checksum.
func sumBytes(sum uint32, tag, b []byte) uint32 {
	sum = crc32.Update(sum, castagnoli, tag)
	if n := len(b); n < len(smallLens) {
		sum = crc32.Update(sum, castagnoli, smallLens[n:n+1])
	} else {
		sum = crc32.Update(sum, castagnoli, binary.AppendUvarint(nil, uint64(n)))
	}
	return crc32.Update(sum, castagnoli, b)
}

// bpath is a bucket's place in the file: its name as a report shows it
// ("lots", "journal/live/flips"), and the checksum of its path so far.
type bpath struct {
	name string
	sum  uint32
	keys func([]byte) string // how a report shows a key; nil: shownKey
}

// child is the path of b's sub-bucket name.
func (p bpath) child(name []byte) bpath {
	return bpath{name: p.at(name), sum: sumBytes(p.sum, tagName, name)}
}

// at names key k of the bucket, for a report.
func (p bpath) at(k []byte) string {
	show := shownKey
	if p.keys != nil {
		show = p.keys
	}
	if p.name == "" {
		return show(k)
	}
	return p.name + "/" + show(k)
}

// rooted is p shown from here on without the names above it (a user's
// records are reported as "lots/x", not "users/<id>/lots/x"); the
// checksum still covers the whole path.
func (p bpath) rooted() bpath { return bpath{sum: p.sum, keys: p.keys} }

func topPath(name []byte) bpath { return bpath{}.child(name) }

// recordSum is the checksum of payload stored under k in the bucket at p.
func recordSum(p bpath, k, payload []byte) uint32 {
	return crc32.Update(sumBytes(p.sum, tagKey, k), castagnoli, payload)
}

// appendSealed appends payload and its checksum to dst.
func appendSealed(dst []byte, p bpath, k, payload []byte) []byte {
	sum := recordSum(p, k, payload)
	dst = append(dst, payload...)
	return binary.BigEndian.AppendUint32(dst, sum)
}

// sealTail appends the checksum of dst[start:] (a payload just appended)
// to dst.
func sealTail(dst []byte, start int, p bpath, k []byte) []byte {
	return binary.BigEndian.AppendUint32(dst, recordSum(p, k, dst[start:]))
}

// errChecksum is why a sealed value was not used.
var errChecksum = errors.New("checksum mismatch")

// unseal returns the payload of the sealed value v of key k at p, or
// errChecksum. A nil v (a nested bucket) is not a record.
func unseal(p bpath, k, v []byte) ([]byte, error) {
	if v == nil {
		return nil, errNotRecord
	}
	if len(v) < sumLen {
		return nil, errChecksum
	}
	payload := v[:len(v)-sumLen]
	if binary.BigEndian.Uint32(v[len(payload):]) != recordSum(p, k, payload) {
		return nil, errChecksum
	}
	return payload, nil
}

var errNotRecord = errors.New("a bucket where a record belongs")

// tally is a bucket's count of keys (besides the tally) and its sequence.
type tally struct{ count, seq uint64 }

const tallyLen = 16

// readTally reads b's tally; the error says why it cannot be used.
func readTally(b *bolt.Bucket, p bpath) (tally, error) {
	v := b.Get(keyTally)
	if v == nil {
		return tally{}, errors.New("its record count is missing")
	}
	payload, err := unseal(p, keyTally, v)
	if err != nil || len(payload) != tallyLen {
		return tally{}, errors.New("its record count is unreadable (checksum mismatch)")
	}
	return tally{binary.BigEndian.Uint64(payload), binary.BigEndian.Uint64(payload[8:])}, nil
}

func writeTally(b *bolt.Bucket, p bpath, t tally) error {
	var payload [tallyLen]byte
	binary.BigEndian.PutUint64(payload[:], t.count)
	binary.BigEndian.PutUint64(payload[8:], t.seq)
	return b.Put(keyTally, appendSealed(make([]byte, 0, tallyLen+sumLen), p, keyTally, payload[:]))
}

// checkTally compares b's tally with what a reader saw: n keys besides
// the tally. A mismatch is reported as damage of the bucket.
func checkTally(b *bolt.Bucket, p bpath, self string, n uint64, rep *LoadReport) {
	t, err := readTally(b, p)
	switch {
	case err != nil:
		rep.damage(self, err.Error())
	case t.count > n:
		rep.damage(self, fmt.Sprintf("%s missing", plural(t.count-n, "record")))
	case t.count < n:
		rep.damage(self, fmt.Sprintf("%s more than it counted", plural(n-t.count, "record")))
	case t.seq != b.Sequence():
		rep.damage(self, "its sequence number changed")
	}
}

func plural(n uint64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// wbucket is a bucket a write transaction changes: every put is sealed
// and keeps the tally in step.
type wbucket struct {
	b *bolt.Bucket
	p bpath
}

// adjust moves the tally's count by delta and takes the bucket's
// sequence. A tally that is missing or damaged is left as it is: it stays
// as evidence of the damage (Load keeps reporting it).
func (w wbucket) adjust(delta int) error {
	t, err := readTally(w.b, w.p)
	if err != nil {
		return nil
	}
	t.count = uint64(int64(t.count) + int64(delta))
	t.seq = w.b.Sequence()
	return writeTally(w.b, w.p, t)
}

var errTallyKey = errors.New("not a record's key")

// put stores payload sealed under k.
func (w wbucket) put(k, payload []byte) error {
	if isTally(k) {
		return errTallyKey
	}
	isNew := w.b.Get(k) == nil
	if err := w.b.Put(k, appendSealed(make([]byte, 0, len(payload)+sumLen), w.p, k, payload)); err != nil {
		return err
	}
	if isNew {
		return w.adjust(1)
	}
	return nil
}

// putSealed stores a value already sealed for this bucket.
func (w wbucket) putSealed(k, v []byte) error {
	if isTally(k) {
		return errTallyKey
	}
	isNew := w.b.Get(k) == nil
	if err := w.b.Put(k, v); err != nil {
		return err
	}
	if isNew {
		return w.adjust(1)
	}
	return nil
}

func (w wbucket) putJSON(k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return w.put(k, data)
}

// del deletes record k when it is there.
func (w wbucket) del(k []byte) error {
	if isTally(k) || w.b.Get(k) == nil {
		return nil // not there (or a nested bucket, which is not ours to delete)
	}
	if err := w.b.Delete(k); err != nil {
		return err
	}
	return w.adjust(-1)
}

// get returns record k's payload: nil when absent, errChecksum when
// damaged.
func (w wbucket) get(k []byte) ([]byte, error) {
	v := w.b.Get(k)
	if v == nil {
		return nil, nil
	}
	return unseal(w.p, k, v)
}

func (w wbucket) nextSequence() (uint64, error) {
	seq, err := w.b.NextSequence()
	if err != nil {
		return 0, err
	}
	return seq, w.adjust(0)
}

// records is how many records the bucket holds: its tally's count when
// it is sound, else a count of its keys.
func (w wbucket) records() int {
	if t, err := readTally(w.b, w.p); err == nil {
		return int(t.count)
	}
	return int(eachEntry(w.b, func(_, _ []byte) {}))
}

// eachEntry calls fn with each key of b but its tally (and the value; nil
// for a sub-bucket), in key order, and returns how many there were. fn
// must not change b.
func eachEntry(b *bolt.Bucket, fn func(k, v []byte)) uint64 {
	var n uint64
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if !isTally(k) {
			n++
			fn(k, v)
		}
	}
	return n
}

// sub returns the sub-bucket name, creating it (with its tally) when it
// is missing.
func (w wbucket) sub(name []byte) (wbucket, error) {
	p := w.p.child(name)
	if b := w.b.Bucket(name); b != nil {
		return wbucket{b, p}, nil
	}
	b, err := w.b.CreateBucket(name)
	if err != nil {
		return wbucket{}, fmt.Errorf("%s: %w", p.name, err)
	}
	if err := writeTally(b, p, tally{}); err != nil {
		return wbucket{}, err
	}
	return wbucket{b, p}, w.adjust(1)
}

// clearSound deletes every record of the bucket whose checksum holds.
// Damaged records (and anything else that is not a sound record) stay:
// they are the user's, kept for a repair.
func (w wbucket) clearSound() error {
	var keys [][]byte
	eachEntry(w.b, func(k, v []byte) {
		if _, err := unseal(w.p, k, v); err == nil {
			keys = append(keys, bytes.Clone(k))
		}
	})
	for _, k := range keys {
		if err := w.b.Delete(k); err != nil {
			return err
		}
	}
	return w.adjust(-len(keys))
}

// dropSub deletes the sub-bucket name and all it holds.
func (w wbucket) dropSub(name []byte) error {
	if w.b.Bucket(name) == nil {
		return nil
	}
	if err := w.b.DeleteBucket(name); err != nil {
		return err
	}
	return w.adjust(-1)
}

// topBucket returns the top-level bucket name, creating it (with its
// tally) when it is missing.
func topBucket(tx *bolt.Tx, name []byte) (wbucket, error) {
	p := topPath(name)
	if b := tx.Bucket(name); b != nil {
		return wbucket{b, p}, nil
	}
	b, err := tx.CreateBucket(name)
	if err != nil {
		return wbucket{}, err
	}
	return wbucket{b, p}, writeTally(b, p, tally{})
}

// trimOldest deletes the lowest keys until at most kept records remain.
func (w wbucket) trimOldest(kept int) error {
	n := w.records()
	if n <= kept {
		return nil
	}
	c := w.b.Cursor()
	deleted := 0
	for n > kept {
		k, _ := c.First()
		if k != nil && isTally(k) {
			k, _ = c.Next()
		}
		if k == nil {
			break
		}
		if err := c.Delete(); err != nil {
			return err
		}
		n--
		deleted++
	}
	return w.adjust(-deleted)
}

// eachRecord visits the records of b (the bucket at p) for a load: in key
// order, or newest (highest key) first. A damaged record is reported and
// skipped; fn gets the payload of each sound one and returns whether it
// wants more (the rest are then only counted). At the end the count is
// checked against the tally.
func eachRecord(b *bolt.Bucket, p bpath, reverse bool, rep *LoadReport, fn func(k, payload []byte) bool) {
	c := b.Cursor()
	first, next := c.First, c.Next
	if reverse {
		first, next = c.Last, c.Prev
	}
	var n uint64
	more := true
	for k, v := first(); k != nil; k, v = next() {
		if isTally(k) {
			continue
		}
		n++
		if !more {
			continue
		}
		payload, err := unseal(p, k, v)
		if err != nil {
			rep.damage(p.at(k), err.Error())
			continue
		}
		more = fn(k, payload)
	}
	checkTally(b, p, p.name, n, rep)
}

// entry is one key of a bucket whose keys are fixed (a user's bucket, a
// journal or warm-cache namespace).
type entry struct {
	name     []byte
	bucket   bool
	optional bool
}

// checkLayout reports what is wrong with a fixed-layout bucket: a key
// that does not belong, a bucket where a value belongs (or the reverse),
// a key that is missing, a tally that does not match. self names the
// bucket.
func checkLayout(b *bolt.Bucket, p bpath, self string, layout []entry, rep *LoadReport) {
	unknown := 0
	present := make([]bool, len(layout))
	n := eachEntry(b, func(k, v []byte) {
		i := 0
		for i < len(layout) && !bytes.Equal(layout[i].name, k) {
			i++
		}
		switch {
		case i == len(layout):
			rep.damage(p.at(k), "not part of the store's layout")
			unknown++
			return
		case layout[i].bucket && v != nil:
			rep.damage(p.at(k), "a record where a bucket belongs")
		case !layout[i].bucket && v == nil:
			rep.damage(p.at(k), "a bucket where a record belongs")
		}
		present[i] = true
	})
	// A key that does not belong is most likely one that does, renamed
	// by damage: then the absent optional keys are reported too.
	for i, e := range layout {
		if !present[i] && (!e.optional || unknown > 0) {
			rep.damage(p.at(e.name), "missing")
		}
	}
	checkTally(b, p, self, n, rep)
}

// checkChildren checks the sub-buckets of top (users, or namespaces):
// every one must have a name valid says is one and a sound tally (its
// tally is sealed with its own path, so a bucket renamed by damage fails
// it), and top's tally must count them all. Anything else is reported;
// sound ones, when fn is not nil, are handed to it. A load whose bucket
// (a user's, a namespace's) is not there runs it: the bucket may never
// have been made, or damage may have renamed or lost it.
func checkChildren(top *bolt.Bucket, p bpath, valid func([]byte) bool, rep *LoadReport, fn func(k []byte, b *bolt.Bucket, p bpath)) {
	n := eachEntry(top, func(k, v []byte) {
		switch {
		case v != nil:
			rep.damage(p.at(k), "a record where a bucket belongs")
		case !valid(k):
			rep.damage(p.at(k), "its name is not valid (checksum mismatch)")
		default:
			b, bp := top.Bucket(k), p.child(k)
			if _, err := readTally(b, bp); err != nil {
				rep.damage(bp.name, err.Error())
			} else if fn != nil {
				fn(k, b, bp)
			}
		}
	})
	checkTally(top, p, p.name, n, rep)
}
