package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tokentop/tokentop/internal/safetext"
)

// Users: each user's records live in their own bucket, users/<id>
// (SCHEMA.md). The local dashboard is LocalUser; `tokentop serve` names
// each SSH user by their key's SHA256 fingerprint.

// LocalUser is the user of the dashboard run in a local terminal.
const LocalUser = "local"

// fingerprintPrefix starts an SSH key's SHA256 fingerprint as
// ssh.FingerprintSHA256 prints it.
const fingerprintPrefix = "SHA256:"

// fingerprintLen is the length of a SHA-256 digest in unpadded base64.
const fingerprintLen = 43

// labelRunes bounds a user's label (an SSH key's comment).
const labelRunes = 64

var (
	bucketUsers = []byte("users")
	keyInfo     = []byte("info")
)

// ValidUser accepts LocalUser and an SSH key's SHA256 fingerprint:
// "SHA256:" and the 43 characters of a SHA-256 digest in base64 (standard
// alphabet, no padding), and nothing else. A user id names a bucket in
// the store, so it is checked before any use.
func ValidUser(id string) error {
	if id == LocalUser {
		return nil
	}
	if rest, ok := strings.CutPrefix(id, fingerprintPrefix); ok && len(rest) == fingerprintLen {
		ok := true
		for i := 0; i < len(rest) && ok; i++ {
			c := rest[i]
			ok = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
		}
		if ok {
			if raw, err := base64.RawStdEncoding.Strict().DecodeString(rest); err == nil && len(raw) == 32 {
				return nil
			}
		}
	}
	return fmt.Errorf("user %s is not %q or an SSH key fingerprint (SHA256: and 43 base64 characters)", shownUser(id), LocalUser)
}

func validUserKey(k []byte) bool { return ValidUser(string(k)) == nil }

// shownUser is a user id as an error message shows it: quoted, at most
// 60 characters.
func shownUser(id string) string { return strconv.QuoteToASCII(truncate(id, 60)) }

// UserInfo describes one user of the store.
type UserInfo struct {
	ID    string // LocalUser or "SHA256:…"
	Label string // "local", or the SSH key's comment; printable, at most 64 runes
	// Created is when the user's records were first made; LastSeen is the
	// last TouchUser (or Created).
	Created, LastSeen time.Time
}

// infoRec is users/<id>/info.
type infoRec struct {
	Label    string    `json:"label"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
}

// userLayout is what a user's bucket holds.
var userLayout = []entry{
	{name: keyInfo},
	{name: bucketWatchlists, bucket: true},
	{name: bucketLots, bucket: true},
	{name: bucketAlerts, bucket: true},
	{name: bucketFirings, bucket: true},
	{name: bucketV1Watchlist, bucket: true, optional: true}, // schema 1's, kept when some symbol could not be migrated
}

// userRecordBuckets are the buckets a new user gets.
var userRecordBuckets = [][]byte{bucketWatchlists, bucketLots, bucketAlerts, bucketFirings}

func userPath(id string) bpath { return topPath(bucketUsers).child([]byte(id)) }

func shownUserBucket(id string) string { return "users/" + shownKey([]byte(id)) }

// userRO finds user's bucket for a read, checking its layout, its info
// and its tally. When there is none, the user may be new, or damage may
// have renamed or lost the bucket: the users bucket is checked and what
// is wrong with it is reported. The path is rooted at the user, so the
// report names "lots/x".
func userRO(tx *bolt.Tx, user string, rep *LoadReport) (*bolt.Bucket, bpath) {
	p := userPath(user).rooted()
	top := tx.Bucket(bucketUsers)
	if top == nil {
		rep.damage("users", "missing")
		return nil, p
	}
	b := top.Bucket([]byte(user))
	if b == nil {
		checkChildren(top, topPath(bucketUsers), validUserKey, rep, nil)
		return nil, p
	}
	checkLayout(b, p, shownUserBucket(user), userLayout, rep)
	if v := b.Get(keyInfo); v != nil {
		var r infoRec
		if payload, err := unseal(p, keyInfo, v); err != nil {
			rep.damage(p.at(keyInfo), err.Error())
		} else if err := json.Unmarshal(payload, &r); err != nil {
			rep.damage(p.at(keyInfo), recordError(payload, err))
		}
	}
	return b, p
}

// userRW returns user's bucket for a write, making it (with its record
// buckets and its info) when there is none; made says it was.
func userRW(tx *bolt.Tx, user, label string, now time.Time) (u wbucket, made bool, err error) {
	top, err := topBucket(tx, bucketUsers)
	if err != nil {
		return wbucket{}, false, err
	}
	if b := top.b.Bucket([]byte(user)); b != nil {
		return wbucket{b, userPath(user).rooted()}, false, nil
	}
	u, err = top.sub([]byte(user))
	if err != nil {
		return wbucket{}, false, err
	}
	u.p = u.p.rooted()
	for _, name := range userRecordBuckets {
		if _, err := u.sub(name); err != nil {
			return wbucket{}, false, err
		}
	}
	return u, true, u.putJSON(keyInfo, infoRec{Label: label, Created: now, LastSeen: now})
}

// defaultLabel is the label of a user made by its first change.
func defaultLabel(user string) string {
	if user == LocalUser {
		return LocalUser
	}
	return ""
}

// TouchUser records that user is here at now: it makes the user's
// buckets and info when they do not exist yet, sets the label (a
// non-empty label replaces the old one; it is made printable and cut to
// 64 runes) and LastSeen. A damaged info record is written anew (and
// logged); the user's records are not touched.
func (s *Store) TouchUser(user, label string, now time.Time) error {
	if err := ValidUser(user); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	label = safetext.Line(label, labelRunes)
	err := s.update(func(tx *bolt.Tx) error {
		if label == "" {
			label = defaultLabel(user)
		}
		u, made, err := userRW(tx, user, label, now)
		if err != nil || made {
			return err
		}
		var r infoRec
		payload, err := u.get(keyInfo)
		if err == nil && payload != nil {
			err = json.Unmarshal(payload, &r)
		}
		if err != nil || payload == nil {
			s.log.Warn("store: a user's info was damaged or missing and was written anew", "user", user)
			r = infoRec{Label: label, Created: now}
		}
		if label != "" {
			r.Label = label
		}
		r.LastSeen = now
		return u.putJSON(keyInfo, r)
	})
	if err != nil && err != ErrReadOnly {
		return fmt.Errorf("store %s: recording user %s: %w", safetext.Quoted(s.path), shownUser(user), err)
	}
	return err
}

// Users lists the users that have records in the store, by ID. A user
// whose bucket is damaged (its name or tally does not check) is left out
// and logged; a user whose info is damaged is listed with an empty label
// and zero times.
func (s *Store) Users() ([]UserInfo, error) {
	out := []UserInfo{}
	var rep LoadReport
	err := s.db.View(func(tx *bolt.Tx) error {
		top := tx.Bucket(bucketUsers)
		if top == nil {
			rep.damage("users", "missing")
			return nil
		}
		checkChildren(top, topPath(bucketUsers), validUserKey, &rep, func(k []byte, b *bolt.Bucket, p bpath) {
			u := UserInfo{ID: string(k)}
			var r infoRec
			payload, err := unseal(p, keyInfo, b.Get(keyInfo))
			if err == nil {
				err = json.Unmarshal(payload, &r)
			}
			if err != nil {
				rep.damage(p.at(keyInfo), "unreadable ("+err.Error()+")")
			} else {
				u.Label, u.Created, u.LastSeen = safetext.Line(r.Label, labelRunes), r.Created, r.LastSeen
			}
			out = append(out, u)
		})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store %s: listing users: %w", safetext.Quoted(s.path), err)
	}
	s.logDamage("listing users", "", rep)
	return out, nil
}

// logDamage logs what a read found damaged.
func (s *Store) logDamage(what, user string, rep LoadReport) {
	if rep.Damaged == 0 {
		return
	}
	args := []any{"count", rep.Damaged, "reasons", rep.Reasons}
	if user != "" {
		args = append(args, "user", user)
	}
	s.log.Warn("store: "+what+": damaged records left in the file", args...)
}
