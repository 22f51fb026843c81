package detectset

import (
	"bytes"
	"encoding/json"
	"strings"
)

// seg is a piece of text; a non-empty typ labels it as a finding. Values
// enter a log only as labelled segs, so every planted value gets its exact
// span: a bare value typed into a template would be an unlabelled finding.
type seg struct{ typ, text string }

func txt(s string) seg      { return seg{text: s} }
func lab(typ, s string) seg { return seg{typ: typ, text: s} }
func segsText(ss []seg) string {
	var b strings.Builder
	for _, s := range ss {
		b.WriteString(s.text)
	}
	return b.String()
}

// escaper rewrites one segment's text for its context. Every escaper here
// works character by character, so escaping segments one at a time gives the
// same bytes as escaping their concatenation, and spans stay exact.
type escaper func(string) string

func raw(s string) string { return s }

func jsonEsc(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}

// logfmtEsc escapes inside a double-quoted logfmt value.
func logfmtEsc(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	return r.Replace(s)
}

// doc accumulates one log file and the spans of its labelled segments.
type doc struct {
	buf   bytes.Buffer
	spans []Span
	// crlf writes Windows line endings, inside raw multi-line values too; a
	// label never includes the CR of a line ending.
	crlf bool
}

func (d *doc) put(ss ...seg) { d.esc(raw, ss...) }

func (d *doc) esc(e escaper, ss ...seg) {
	for _, s := range ss {
		t := e(s.text)
		if d.crlf {
			t = strings.ReplaceAll(t, "\n", "\r\n")
		}
		start := int64(d.buf.Len())
		d.buf.WriteString(t)
		if s.typ != "" {
			d.spans = append(d.spans, Span{Type: s.typ, Start: start, End: int64(d.buf.Len())})
		}
	}
}

// line writes segs and a line ending.
func (d *doc) line(ss ...seg) {
	d.put(ss...)
	if d.crlf {
		d.buf.WriteByte('\r')
	}
	d.buf.WriteByte('\n')
}

// kv is one field of a JSON object: v is a string value (escaped when
// written) unless rawJSON, when v is already JSON text (a number, an object).
type kv struct {
	k       string
	v       []seg
	rawJSON bool
}

func field(k string, v ...seg) kv    { return kv{k: k, v: v} }
func rawField(k string, v ...seg) kv { return kv{k: k, v: v, rawJSON: true} }
func str(k, v string) kv             { return kv{k: k, v: []seg{txt(v)}} }

// jsonSegs renders a JSON object as segs, labels kept on the values, so the
// result can be written as is or embedded (escaped again) in another string.
func jsonSegs(fields []kv) []seg {
	out := []seg{txt("{")}
	for i, f := range fields {
		if i > 0 {
			out = append(out, txt(","))
		}
		out = append(out, txt(`"`+jsonEsc(f.k)+`":`))
		if f.rawJSON {
			out = append(out, f.v...)
			continue
		}
		out = append(out, txt(`"`))
		for _, s := range f.v {
			out = append(out, seg{typ: s.typ, text: jsonEsc(s.text)})
		}
		out = append(out, txt(`"`))
	}
	return append(out, txt("}"))
}

// jsonArr renders a JSON array of already-JSON elements.
func jsonArr(elems ...[]seg) []seg {
	out := []seg{txt("[")}
	for i, e := range elems {
		if i > 0 {
			out = append(out, txt(","))
		}
		out = append(out, e...)
	}
	return append(out, txt("]"))
}

// jsonString renders segs as a JSON string literal (quotes included).
func jsonString(ss []seg) []seg {
	out := []seg{txt(`"`)}
	for _, s := range ss {
		out = append(out, seg{typ: s.typ, text: jsonEsc(s.text)})
	}
	return append(out, txt(`"`))
}
