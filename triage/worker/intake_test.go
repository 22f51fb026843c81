package worker

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestUploadIDIsDeterministicAndDistinct(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	base := UploadID("acme", sum, "a.log")
	if base != UploadID("acme", sum, "a.log") {
		t.Fatal("same upload, different ids")
	}
	for name, other := range map[string]string{
		"tenant":  UploadID("globex", sum, "a.log"),
		"content": UploadID("acme", strings.Repeat("cd", 32), "a.log"),
		"name":    UploadID("acme", sum, "b.log"),
		// The separator keeps "ab"+"c" apart from "a"+"bc".
		"boundary": UploadID("acm", "e"+sum, "a.log"),
	} {
		if other == base {
			t.Errorf("a different %s gives the same id", name)
		}
	}
	if !ValidUploadID(base) {
		t.Errorf("id %q is not a subject token", base)
	}
}

func TestEventValidate(t *testing.T) {
	good := UploadEvent{Tenant: "acme", UploadID: "u1", Name: "a.log", Size: 3, SHA256: strings.Repeat("0f", 32), Object: "u1"}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*UploadEvent){
		"no tenant":     func(e *UploadEvent) { e.Tenant = "" },
		"wild tenant":   func(e *UploadEvent) { e.Tenant = "acme.>" },
		"no upload id":  func(e *UploadEvent) { e.UploadID = "" },
		"no object":     func(e *UploadEvent) { e.Object = "" },
		"no name":       func(e *UploadEvent) { e.Name = "" },
		"negative size": func(e *UploadEvent) { e.Size = -1 },
		"short sha256":  func(e *UploadEvent) { e.SHA256 = "abc" },
		"non-hex":       func(e *UploadEvent) { e.SHA256 = strings.Repeat("zz", 32) },
		"inline with an object": func(e *UploadEvent) {
			e.Inline, e.Content = true, []byte("abc")
		},
		"inline, wrong size": func(e *UploadEvent) {
			e.Inline, e.Object, e.Content = true, "", []byte("abcd")
		},
		"content, not inline": func(e *UploadEvent) { e.Content = []byte("abc") },
	} {
		ev := good
		mod(&ev)
		if err := ev.Validate(); err == nil {
			t.Errorf("%s: valid", name)
		}
	}
	inline := good
	inline.Inline, inline.Object, inline.Content = true, "", []byte("abc")
	if err := inline.Validate(); err != nil {
		t.Errorf("inline event: %v", err)
	}
	empty := inline
	empty.Size, empty.Content = 0, nil
	if err := empty.Validate(); err != nil {
		t.Errorf("inline empty file: %v", err)
	}
	if ev := completeEvent(UploadEvent{Tenant: "acme", UploadID: "u1", Inline: true}); ev.Object != "" {
		t.Errorf("completeEvent named object %q for an inline upload", ev.Object)
	}
}

func TestSubjectToken(t *testing.T) {
	for in, want := range map[string]string{
		"database":     "database",
		"":             "_",
		"a.b":          "a_b",
		"a b\tc":       "a_b_c",
		"x*>":          "x__",
		"triage-gen_1": "triage-gen_1",
	} {
		if got := SubjectToken(in); got != want {
			t.Errorf("SubjectToken(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzUploadEvent: whatever arrives on the uploads subject, decoding and
// validation never panic, and what validates is safe to put in subjects.
func FuzzUploadEvent(f *testing.F) {
	f.Add([]byte(`{"tenant":"acme","upload_id":"u1","name":"a.log","size":1,"sha256":"` + strings.Repeat("ab", 32) + `","object":"u1"}`))
	f.Add([]byte(`{"tenant":"acme","name":"a.log","sha256":"` + strings.Repeat("ab", 32) + `"}`))
	f.Add([]byte(`{"tenant":"a.b"}`))
	f.Add([]byte("\x00\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev UploadEvent
		if json.Unmarshal(data, &ev) != nil {
			return
		}
		ev = completeEvent(ev)
		if ev.Validate() != nil {
			return
		}
		if SubjectToken(ev.Tenant) != ev.Tenant || UploadSubject(ev.Tenant) != UploadsSubjectPrefix+ev.Tenant {
			t.Fatalf("valid event with tenant %q unsafe as a subject token", ev.Tenant)
		}
	})
}

// An inline upload's message carries the file as its body and the event in
// a header; any other event is its JSON body. Both decode to the same event.
func TestEventMessageRoundTrip(t *testing.T) {
	file := []byte("2026-01-05 10:00:00 ERROR x\n")
	for name, ev := range map[string]UploadEvent{
		"inline": {Tenant: "acme", UploadID: "u1", Name: "a.log", Size: int64(len(file)), SHA256: strings.Repeat("0f", 32),
			Inline: true, Content: file},
		"object": {Tenant: "acme", UploadID: "u2", Name: "b.log", Size: 1 << 20, SHA256: strings.Repeat("0f", 32), Object: "u2"},
	} {
		t.Run(name, func(t *testing.T) {
			m, err := eventMessage(ev)
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != UploadSubject("acme") || m.Header.Get(HeaderUploadID) != ev.UploadID || m.Header.Get(HeaderTenant) != "acme" {
				t.Errorf("message %s headers %v", m.Subject, m.Header)
			}
			if ev.Inline != (string(m.Data) == string(file)) || ev.Inline == (m.Header.Get(HeaderEvent) == "") {
				t.Errorf("inline %v: body %q, event header %q", ev.Inline, m.Data, m.Header.Get(HeaderEvent))
			}
			if strings.Contains(m.Header.Get(HeaderEvent), "ERROR") {
				t.Error("the content is also in the event header")
			}
			got, err := DecodeEvent(m.Header, m.Data)
			if err != nil {
				t.Fatal(err)
			}
			if got.UploadID != ev.UploadID || got.Inline != ev.Inline || string(got.Content) != string(ev.Content) || got.Validate() != nil {
				t.Errorf("decoded %+v, want %+v", got, ev)
			}
		})
	}
}
