package audit

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// The fast path must give exactly what encoding/json gives, or decline.
func FuzzDecodeEventLine(f *testing.F) {
	e := Event{ID: "0f1e", Seq: 42, Time: time.Date(2026, 5, 4, 3, 2, 1, 123456000, time.UTC), Tenant: "acme",
		Actor: Actor{Kind: ActorUser, Name: "dana", Role: "agent"}, Action: ActionCaseViewed, Resource: "case/c-1",
		Outcome: Success, Reason: "quote \" tab \t é \u2028 <b>", SourceAddr: "192.0.2.1", RequestID: "r",
		Detail: map[string]string{"model": "m", "a\"b": "\\"}, PrevHash: "00", Hash: "11"}
	b, _ := json.Marshal(e)
	f.Add(b)
	e.Detail = nil
	b, _ = json.Marshal(e)
	f.Add(b)
	for _, s := range []string{`{"id":"x","seq":1}`, `{"id":"\ud83d\ude00","tenant":"t"}`, `{"id":"\ud800x"}`,
		`{"id":"a","ID":"b"}`, `{"id":"a","seq":01}`, `{"id":"a","detail":{"k":1}}`, `{"id":"a","seq":-1}`,
		`{"id":"a","time":"2026-01-02T03:04:05+02:00"}`, `{"id":"\u00e9\/"} `, `{"id":"a","detail":{"x":"1"},"detail":{"y":"2"}}`, `{"id":"a","detail":{"x":"1"},"detail":null}`,
		`{"id":"a","actor":{"name":"n"},"actor":{"role":"r"}}`, "{\"id\":\"\xff\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fast Event
		if !decodeEventLine(b, &fast) {
			return
		}
		var slow Event
		if err := json.Unmarshal(b, &slow); err != nil {
			t.Fatalf("fast path accepted what encoding/json refuses (%v): %q", err, b)
		}
		if !fast.Time.Equal(slow.Time) {
			t.Fatalf("time %v vs %v: %q", fast.Time, slow.Time, b)
		}
		fast.Time, slow.Time = time.Time{}, time.Time{}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("fast %+v\nslow %+v\ninput %q", fast, slow, b)
		}
		// What is hashed must agree too.
		if ComputeHash(&fast) != ComputeHash(&slow) {
			t.Fatalf("hashes differ for %q", b)
		}
	})
}
