package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"io"
)

// This file reads an existing file before bbolt is allowed near it. bbolt
// trusts its file: a page id pointing past the end, a cycle in the tree or
// a truncated file makes it read outside its memory map and crash the
// process, and opening a file for writing may write to it. So Open first
// walks the whole file here, with plain reads and bounds checks on every
// number, under the lock: the meta pages, every page of every bucket, the
// free list, and every page below the high-water mark accounted for (the
// checks of bbolt's tx.Check, done without trusting the file). Only a file
// that passes, and whose meta bucket says it is a tokentop store of a
// schema this build reads, is handed to bbolt.
//
// The on-disk format is bbolt's (v1.x, format version 2), in the machine's
// byte order: a page is a 16-byte header (id u64, flags u16, count u16,
// overflow u32) and then, for branch and leaf pages, count 16-byte
// elements whose key and value offsets are relative to the element.

const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	pageHeaderSize = 16
	elementSize    = 16
	metaSize       = 64 // magic, version, page size, flags, root (16), freelist, pgid, txid, checksum
	bucketHeader   = 16 // root pgid u64, sequence u64
	noFreelist     = ^uint64(0)

	branchPage   = 0x01
	leafPage     = 0x02
	metaPage     = 0x04
	freelistPage = 0x10
	bucketLeaf   = 0x01

	maxDepth = 128 // tree levels and bucket nesting together
)

var native = binary.NativeEndian

// errNotBolt means the file is not a bbolt file at all (no meta page
// carries bbolt's magic number).
var errNotBolt = errors.New("not a bbolt file")

// inspection is what inspect learned about a sound bbolt file.
type inspection struct {
	buckets int               // top-level buckets
	tops    map[string]bool   // their names (the first 64)
	hasMeta bool              // a top-level "meta" bucket
	meta    map[string][]byte // its plain (non-bucket) keys, values copied
}

type rawMeta struct {
	magic, version, pageSize  uint32
	root, freelist, hwm, txid uint64
	sumOK                     bool
}

func parseMeta(b []byte) rawMeta {
	var m rawMeta
	if len(b) < metaSize {
		return m
	}
	m.magic = native.Uint32(b[0:])
	m.version = native.Uint32(b[4:])
	m.pageSize = native.Uint32(b[8:])
	m.root = native.Uint64(b[16:])
	m.freelist = native.Uint64(b[32:])
	m.hwm = native.Uint64(b[40:])
	m.txid = native.Uint64(b[48:])
	h := fnv.New64a()
	h.Write(b[:56])
	m.sumOK = h.Sum64() == native.Uint64(b[56:])
	return m
}

func (m rawMeta) valid() bool { return m.magic == boltMagic && m.version == boltVersion && m.sumOK }

// readMetaAt reads the meta page at off; ok is false when the file is too
// short there.
func readMetaAt(r io.ReaderAt, off int64) (rawMeta, bool) {
	var buf [pageHeaderSize + metaSize]byte
	if _, err := r.ReadAt(buf[:], off); err != nil {
		return rawMeta{}, false
	}
	return parseMeta(buf[pageHeaderSize:]), true
}

// inspect checks a non-empty file. It returns errNotBolt when the file is
// not a bbolt file, a *damage when it is one but is damaged, another error
// when it could not be read.
func inspect(r io.ReaderAt, size int64) (inspection, error) {
	m0, _ := readMetaAt(r, 0)
	pageSize := uint64(0)
	sawMagic := m0.magic == boltMagic
	if m0.valid() {
		pageSize = uint64(m0.pageSize)
	} else {
		// The first meta page is torn or damaged: look for the second one
		// at each page size bbolt could have used, as bbolt does.
		for ps := uint64(512); ps <= 64<<10; ps *= 2 {
			m1, ok := readMetaAt(r, int64(ps))
			if !ok {
				break
			}
			sawMagic = sawMagic || m1.magic == boltMagic
			if m1.valid() && uint64(m1.pageSize) == ps {
				pageSize = ps
				break
			}
		}
	}
	if pageSize == 0 {
		if !sawMagic {
			return inspection{}, errNotBolt
		}
		if m0.magic == boltMagic && m0.version != boltVersion && m0.sumOK {
			return inspection{}, damaged("written in bbolt format %d, which this tokentop cannot read", m0.version)
		}
		return inspection{}, damaged("both copies of the database header are damaged")
	}
	if pageSize < 512 || pageSize > 64<<10 || pageSize&(pageSize-1) != 0 {
		return inspection{}, damaged("page size %d is impossible", pageSize)
	}
	m0, _ = readMetaAt(r, 0)
	m1, _ := readMetaAt(r, int64(pageSize))
	// bbolt uses the valid meta with the higher transaction id.
	a, b := m0, m1
	if m1.txid > m0.txid {
		a, b = m1, m0
	}
	var m rawMeta
	switch {
	case a.valid() && uint64(a.pageSize) == pageSize:
		m = a
	case b.valid() && uint64(b.pageSize) == pageSize:
		m = b
	default:
		return inspection{}, damaged("both copies of the database header are damaged")
	}
	switch {
	case m.hwm < 4:
		return inspection{}, damaged("its page count %d is impossible", m.hwm)
	case m.hwm > uint64(size)/pageSize:
		return inspection{}, damaged("the file is %d bytes, shorter than its contents: it was cut short", size)
	case !(a.valid() && uint64(a.pageSize) == pageSize && b.valid() && uint64(b.pageSize) == pageSize):
		// bbolt would carry on with the sound copy; but if the damaged
		// one was the newer, that copy is the store as it was one change
		// earlier, and the next write would reuse the pages of that last
		// change. Nothing tells which was newer, so nothing is written.
		return inspection{}, damaged("one of the two copies of the database header is damaged, and it may be the newer one")
	}
	// bbolt's own check reads both meta pages through their headers.
	for id := range uint64(2) {
		var hdr [pageHeaderSize]byte
		if _, err := r.ReadAt(hdr[:], int64(id*pageSize)); err != nil ||
			native.Uint64(hdr[0:]) != id || native.Uint16(hdr[8:]) != metaPage {
			return inspection{}, damaged("the header page %d is damaged", id)
		}
	}
	if m.root < 2 || m.root >= m.hwm {
		return inspection{}, damaged("its root page %d is out of range", m.root)
	}
	v := &verifier{r: r, pageSize: pageSize, hwm: m.hwm, used: make([]bool, m.hwm), free: make([]bool, m.hwm)}
	v.used[0], v.used[1] = true, true
	in := inspection{tops: map[string]bool{}}
	err := v.tree(m.root, 0, nil, nil, func(depth int, k, val []byte, isBucket bool) error {
		if !isBucket {
			return nil // bbolt has no plain keys at the top level; ignore
		}
		in.buckets++
		if len(in.tops) < 64 {
			in.tops[string(k)] = true
		}
		if string(k) != "meta" {
			return v.bucket(val, depth+1, v.anyEntry)
		}
		in.hasMeta = true
		in.meta = map[string][]byte{}
		return v.bucket(val, depth+1, func(depth int, k, val []byte, isBucket bool) error {
			if isBucket {
				return v.bucket(val, depth+1, v.anyEntry)
			}
			if len(in.meta) < 64 && len(k) <= 64 && len(val) <= 1024 {
				in.meta[string(k)] = bytes.Clone(val)
			}
			return nil
		})
	})
	if err != nil {
		return inspection{}, err
	}
	if err := v.freelist(m.freelist); err != nil {
		return inspection{}, err
	}
	return in, nil
}

// verifier walks the pages of one file. Depth counts every step down,
// through trees and into nested buckets alike; each depth reads its pages
// into its own buffer, which stays valid while the walk is below it.
type verifier struct {
	r        io.ReaderAt
	pageSize uint64
	hwm      uint64
	used     []bool // reachable pages (and the meta and free-list pages)
	free     []bool // pages on the free list
	bufs     [][]byte
}

// entryFunc is called for each leaf entry, with the depth of its page.
type entryFunc func(depth int, key, value []byte, isBucket bool) error

// anyEntry visits nested buckets and ignores plain values.
func (v *verifier) anyEntry(depth int, k, val []byte, isBucket bool) error {
	if isBucket {
		return v.bucket(val, depth+1, v.anyEntry)
	}
	return nil
}

// node reads page id and its overflow pages (into the buffer of depth),
// marking them used.
func (v *verifier) node(id uint64, depth int) (flags uint16, count uint16, buf []byte, err error) {
	if id < 2 || id >= v.hwm {
		return 0, 0, nil, damaged("page %d is out of range", id)
	}
	var hdr [pageHeaderSize]byte
	if _, err := v.r.ReadAt(hdr[:], int64(id*v.pageSize)); err != nil {
		return 0, 0, nil, damaged("page %d cannot be read", id)
	}
	if got := native.Uint64(hdr[0:]); got != id {
		return 0, 0, nil, damaged("page %d says it is page %d", id, got)
	}
	flags, count = native.Uint16(hdr[8:]), native.Uint16(hdr[10:])
	overflow := uint64(native.Uint32(hdr[12:]))
	if overflow >= v.hwm-id {
		return 0, 0, nil, damaged("page %d runs past the end", id)
	}
	for p := id; p <= id+overflow; p++ {
		if v.used[p] {
			return 0, 0, nil, damaged("page %d is used twice", p)
		}
		v.used[p] = true
	}
	for len(v.bufs) <= depth {
		v.bufs = append(v.bufs, nil)
	}
	n := (overflow + 1) * v.pageSize
	if uint64(cap(v.bufs[depth])) < n {
		v.bufs[depth] = make([]byte, n)
	}
	buf = v.bufs[depth][:n]
	if _, err := v.r.ReadAt(buf, int64(id*v.pageSize)); err != nil {
		return 0, 0, nil, damaged("page %d cannot be read", id)
	}
	return flags, count, buf, nil
}

// tree walks the B+tree rooted at page id, checking that keys are in
// order and within [lo, hi), and calls fn for each leaf entry.
func (v *verifier) tree(id uint64, depth int, lo, hi []byte, fn entryFunc) error {
	if depth > maxDepth {
		return damaged("the tree is too deep at page %d", id)
	}
	flags, count, buf, err := v.node(id, depth)
	if err != nil {
		return err
	}
	switch flags {
	case branchPage:
		if count == 0 {
			return damaged("branch page %d is empty", id)
		}
		keys := make([][]byte, count)
		kids := make([]uint64, count)
		for i := range int(count) {
			off := uint64(pageHeaderSize + i*elementSize)
			if off+elementSize > uint64(len(buf)) {
				return damaged("page %d has more entries than fit", id)
			}
			pos, ksize := uint64(native.Uint32(buf[off:])), uint64(native.Uint32(buf[off+4:]))
			kids[i] = native.Uint64(buf[off+8:])
			start := off + pos
			if start+ksize > uint64(len(buf)) {
				return damaged("page %d has an entry past its end", id)
			}
			keys[i] = buf[start : start+ksize]
			if ksize == 0 {
				return damaged("page %d has an empty key", id)
			}
			if lo != nil && bytes.Compare(keys[i], lo) < 0 || hi != nil && bytes.Compare(keys[i], hi) >= 0 ||
				i > 0 && bytes.Compare(keys[i-1], keys[i]) >= 0 {
				return damaged("page %d has keys out of order", id)
			}
		}
		for i := range keys {
			next := hi
			if i+1 < len(keys) {
				next = keys[i+1]
			}
			if err := v.tree(kids[i], depth+1, keys[i], next, fn); err != nil {
				return err
			}
		}
		return nil
	case leafPage:
		return leafEntries(id, depth, buf, count, lo, hi, fn)
	}
	return damaged("page %d has an unknown type %#x", id, flags)
}

// leafEntries checks the elements of a leaf page (a real one or an inline
// bucket's) and calls fn for each.
func leafEntries(id uint64, depth int, buf []byte, count uint16, lo, hi []byte, fn entryFunc) error {
	var prev []byte
	for i := range int(count) {
		off := uint64(pageHeaderSize + i*elementSize)
		if off+elementSize > uint64(len(buf)) {
			return damaged("page %d has more entries than fit", id)
		}
		eflags := native.Uint32(buf[off:])
		pos, ksize, vsize := uint64(native.Uint32(buf[off+4:])), uint64(native.Uint32(buf[off+8:])), uint64(native.Uint32(buf[off+12:]))
		start := off + pos
		if start+ksize+vsize > uint64(len(buf)) {
			return damaged("page %d has an entry past its end", id)
		}
		k := buf[start : start+ksize]
		val := buf[start+ksize : start+ksize+vsize]
		if ksize == 0 { // bbolt never writes one, and asserts (panics) on reading one
			return damaged("page %d has an empty key", id)
		}
		if lo != nil && bytes.Compare(k, lo) < 0 || hi != nil && bytes.Compare(k, hi) >= 0 || i > 0 && bytes.Compare(prev, k) >= 0 {
			return damaged("page %d has keys out of order", id)
		}
		prev = k
		if err := fn(depth, k, val, eflags&bucketLeaf != 0); err != nil {
			return err
		}
	}
	return nil
}

// bucket checks a nested bucket given its value (header, then an inline
// page when the root is 0); depth is the bucket's.
func (v *verifier) bucket(val []byte, depth int, fn entryFunc) error {
	if depth > maxDepth {
		return damaged("buckets are nested too deep")
	}
	if len(val) < bucketHeader {
		return damaged("a bucket header is cut short")
	}
	root := native.Uint64(val[0:])
	if root != 0 {
		return v.tree(root, depth, nil, nil, fn)
	}
	page := val[bucketHeader:]
	if len(page) < pageHeaderSize {
		return damaged("an inline bucket is cut short")
	}
	if flags := native.Uint16(page[8:]); flags != leafPage {
		return damaged("an inline bucket has page type %#x", flags)
	}
	return leafEntries(0, depth, page, native.Uint16(page[10:]), nil, nil, fn)
}

// freelist checks the free list and that every page below the high-water
// mark is either reachable or free.
func (v *verifier) freelist(id uint64) error {
	if id == noFreelist {
		return nil // written without a free list: bbolt rebuilds it by scanning
	}
	flags, count, buf, err := v.node(id, 0)
	if err != nil {
		return err
	}
	if flags != freelistPage {
		return damaged("the free list page %d has type %#x", id, flags)
	}
	first, n := uint64(pageHeaderSize), uint64(count)
	if count == 0xFFFF {
		if len(buf) < pageHeaderSize+8 {
			return damaged("the free list is cut short")
		}
		n = native.Uint64(buf[pageHeaderSize:])
		first += 8
	}
	if n > v.hwm || first+n*8 > uint64(len(buf)) {
		return damaged("the free list is longer than its page")
	}
	for i := range n {
		p := native.Uint64(buf[first+i*8:])
		switch {
		case p < 2 || p >= v.hwm:
			return damaged("the free list holds page %d, out of range", p)
		case v.free[p]:
			return damaged("page %d is freed twice", p)
		case v.used[p]:
			return damaged("page %d is both in use and free", p)
		}
		v.free[p] = true
	}
	for p := uint64(2); p < v.hwm; p++ {
		if !v.used[p] && !v.free[p] {
			return damaged("page %d is lost (neither in use nor free)", p)
		}
	}
	return nil
}
