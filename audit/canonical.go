package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// CanonicalVersion tags the canonical form; a new field means a new version.
const CanonicalVersion = "logtriage.audit.v1"

// The canonical form of an event is what its Hash covers. Every field is
// written as a 4-byte big-endian length followed by its UTF-8 bytes, in this
// order:
//
//	"logtriage.audit.v1", id, seq (decimal), time (RFC 3339, UTC, nanoseconds
//	without trailing zeros), tenant, actor.kind, actor.name, actor.role, action,
//	resource, outcome, reason, source_addr, request_id, the number of detail
//	entries (decimal), then each detail key and value in byte order of the
//	keys, and last prev_hash.
//
// Length prefixes make it unambiguous (no escaping rules to agree on) and a
// few lines in any language can rebuild it; docs/audit.md has one in Python.
func AppendCanonical(buf []byte, e *Event) []byte {
	buf = field(buf, CanonicalVersion)
	buf = field(buf, e.ID)
	at := len(buf)
	buf = strconv.AppendUint(append(buf, 0, 0, 0, 0), e.Seq, 10)
	patchLen(buf, at)
	at = len(buf)
	buf = e.Time.UTC().AppendFormat(append(buf, 0, 0, 0, 0), time.RFC3339Nano)
	patchLen(buf, at)
	buf = field(buf, e.Tenant)
	buf = field(buf, string(e.Actor.Kind))
	buf = field(buf, e.Actor.Name)
	buf = field(buf, e.Actor.Role)
	buf = field(buf, e.Action)
	buf = field(buf, e.Resource)
	buf = field(buf, string(e.Outcome))
	buf = field(buf, e.Reason)
	buf = field(buf, e.SourceAddr)
	buf = field(buf, e.RequestID)
	at = len(buf)
	buf = strconv.AppendInt(append(buf, 0, 0, 0, 0), int64(len(e.Detail)), 10)
	patchLen(buf, at)
	if len(e.Detail) > 0 {
		var small [8]string // most events carry a few details: no allocation
		keys := small[:0]
		for k := range e.Detail {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			buf = field(buf, k)
			buf = field(buf, e.Detail[k])
		}
	}
	return field(buf, e.PrevHash)
}

func field(buf []byte, s string) []byte {
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(s)))
	return append(buf, s...)
}

// patchLen fills the 4-byte length reserved at buf[at:] with the length of
// what was appended after it.
func patchLen(buf []byte, at int) {
	binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
}

// ComputeHash is the lowercase hex SHA-256 of the event's canonical form.
func ComputeHash(e *Event) string {
	var scratch [512]byte
	sum := sha256.Sum256(AppendCanonical(scratch[:0], e))
	return hex.EncodeToString(sum[:])
}

// normalize makes an event storable as is in every store: UTC time at
// microsecond precision (PostgreSQL's), valid UTF-8 without NUL (PostgreSQL
// text cannot hold it). What is hashed is exactly what is stored.
func normalize(e *Event) {
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	for _, p := range []*string{&e.ID, &e.Tenant, &e.Actor.Name, &e.Actor.Role, &e.Action,
		&e.Resource, &e.Reason, &e.SourceAddr, &e.RequestID} {
		*p = clean(*p)
	}
	e.Actor.Kind = ActorKind(clean(string(e.Actor.Kind)))
	e.Outcome = Outcome(clean(string(e.Outcome)))
	for k, v := range e.Detail {
		ck, cv := clean(k), clean(v)
		if ck != k {
			delete(e.Detail, k)
		}
		e.Detail[ck] = cv
	}
}

func clean(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
