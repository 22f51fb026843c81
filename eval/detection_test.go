package eval

import (
	"fmt"
	"math"
	"reflect"
	"testing"
)

func sp(typ string, start, end int64) Span { return Span{Type: typ, Start: start, End: end} }

// Expectations below are computed by hand from the rule in detection.go:
// same type, overlap >= 50% of the shorter span, greedy by overlap, 1:1.
func TestScoreSpans(t *testing.T) {
	tests := []struct {
		name       string
		gold, pred []Span
		want       map[string]TypeCounts
	}{
		{"not labelled: nil gold is not scored", nil, []Span{sp("email", 0, 5)}, nil},
		{"labelled clean case, no predictions", []Span{}, nil, map[string]TypeCounts{}},
		{"labelled clean case, one prediction is an FP", []Span{}, []Span{sp("jwt", 3, 40)}, map[string]TypeCounts{"jwt": {FP: 1}}},
		{"zero predictions: every gold is an FN",
			[]Span{sp("email", 0, 10), sp("email", 20, 30), sp("iban", 40, 62)}, nil,
			map[string]TypeCounts{"email": {FN: 2}, "iban": {FN: 1}}},
		{"exact match", []Span{sp("password", 9, 16)}, []Span{sp("password", 9, 16)}, map[string]TypeCounts{"password": {TP: 1}}},
		{"prediction one byte wider on each side still matches",
			// overlap 7 = 100% of the shorter (gold) span
			[]Span{sp("password", 10, 17)}, []Span{sp("password", 9, 18)}, map[string]TypeCounts{"password": {TP: 1}}},
		{"exactly half of the shorter span overlaps: match",
			// gold [0,10), pred [5,25): overlap 5 = 0.5 * min(10,20)
			[]Span{sp("bearer_token", 0, 10)}, []Span{sp("bearer_token", 5, 25)}, map[string]TypeCounts{"bearer_token": {TP: 1}}},
		{"just under half: FP and FN",
			// gold [0,10), pred [6,25): overlap 4 < 5
			[]Span{sp("bearer_token", 0, 10)}, []Span{sp("bearer_token", 6, 25)}, map[string]TypeCounts{"bearer_token": {FP: 1, FN: 1}}},
		{"adjacent spans do not overlap",
			// end is exclusive: [0,10) and [10,20) share no byte
			[]Span{sp("email", 0, 10)}, []Span{sp("email", 10, 20)}, map[string]TypeCounts{"email": {FP: 1, FN: 1}}},
		{"key name next to the value is not the value",
			// "password=hunter2": predicted "password=" [0,9), gold value [9,16)
			[]Span{sp("password", 9, 16)}, []Span{sp("password", 0, 9)}, map[string]TypeCounts{"password": {FP: 1, FN: 1}}},
		{"overlapping with the wrong type: FP of one type, FN of the other",
			[]Span{sp("jwt", 7, 100)}, []Span{sp("bearer_token", 7, 100)},
			map[string]TypeCounts{"jwt": {FN: 1}, "bearer_token": {FP: 1}}},
		{"two predictions on one secret: one TP, one FP (no double counting)",
			[]Span{sp("aws_access_key_id", 0, 20)}, []Span{sp("aws_access_key_id", 0, 20), sp("aws_access_key_id", 2, 20)},
			map[string]TypeCounts{"aws_access_key_id": {TP: 1, FP: 1}}},
		{"one prediction covering two adjacent secrets: one TP, one FN",
			// pred [0,30) covers both fully; each overlap is 100% of the shorter span,
			// but the prediction can be used once
			[]Span{sp("ip_address", 0, 12), sp("ip_address", 14, 30)}, []Span{sp("ip_address", 0, 30)},
			map[string]TypeCounts{"ip_address": {TP: 1, FN: 1}}},
		{"greedy by largest overlap picks the better pairing",
			// g0 [0,10), g1 [8,30); p0 [5,30): overlap with g0 = 5, with g1 = 22 -> p0-g1;
			// p1 [0,9): overlap with g0 = 9 -> p1-g0. All matched.
			[]Span{sp("generic_secret", 0, 10), sp("generic_secret", 8, 30)},
			[]Span{sp("generic_secret", 5, 30), sp("generic_secret", 0, 9)},
			map[string]TypeCounts{"generic_secret": {TP: 2}}},
		{"whole-object prediction matches a short gold inside it",
			// gold private_key_id [40,80) inside a predicted service-account object [0,500):
			// overlap 40 = 100% of the shorter
			[]Span{sp("gcp_service_account", 40, 80)}, []Span{sp("gcp_service_account", 0, 500)},
			map[string]TypeCounts{"gcp_service_account": {TP: 1}}},
		{"mixed case",
			[]Span{sp("email", 0, 17), sp("phone", 30, 42), sp("credit_card", 50, 66)},
			[]Span{sp("email", 0, 17), sp("phone", 60, 70), sp("ip_address", 80, 91)},
			map[string]TypeCounts{"email": {TP: 1}, "phone": {FP: 1, FN: 1}, "credit_card": {FN: 1}, "ip_address": {FP: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ScoreSpans(tt.gold, tt.pred)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ScoreSpans = %v, want %v", got, tt.want)
			}
			if tt.gold == nil {
				return
			}
			// The matching must account for every span exactly once.
			m := MatchSpans(tt.gold, tt.pred)
			if len(m.Matches)+len(m.FP) != len(tt.pred) || len(m.Matches)+len(m.FN) != len(tt.gold) {
				t.Fatalf("matching %+v does not partition %d gold / %d predicted spans", m, len(tt.gold), len(tt.pred))
			}
		})
	}
}

func TestMatchSpansIsOrderIndependentInCounts(t *testing.T) {
	gold := []Span{sp("email", 0, 10), sp("email", 12, 22), sp("jwt", 30, 90)}
	pred := []Span{sp("jwt", 31, 90), sp("email", 12, 22), sp("email", 1, 10), sp("email", 95, 99)}
	want := ScoreSpans(gold, pred)
	rev := []Span{pred[3], pred[2], pred[1], pred[0]}
	if got := ScoreSpans([]Span{gold[2], gold[1], gold[0]}, rev); !reflect.DeepEqual(got, want) {
		t.Fatalf("reordered input scored %v, want %v", got, want)
	}
}

func TestSummarize(t *testing.T) {
	total := map[string]TypeCounts{}
	AddCounts(total, map[string]TypeCounts{"email": {TP: 3, FP: 1}, "jwt": {TP: 1, FN: 1}})
	AddCounts(total, map[string]TypeCounts{"email": {TP: 1, FN: 0}, "iban": {FP: 2}})
	s := Summarize(total)
	// email: TP 4, FP 1, FN 0 -> P 0.8, R 1, F1 8/9
	// jwt:   TP 1, FN 1       -> P 1, R 0.5, F1 2/3
	// iban:  FP 2             -> P 0, R 1 (nothing to find), F1 0
	// micro: TP 5, FP 3, FN 1 -> P 5/8, R 5/6, F1 2*(5/8)(5/6)/((5/8)+(5/6)) = 5/7
	checks := []struct {
		name      string
		got, want float64
	}{
		{"email P", s.PerType["email"].Precision, 0.8},
		{"email R", s.PerType["email"].Recall, 1},
		{"email F1", s.PerType["email"].F1, 8.0 / 9},
		{"jwt R", s.PerType["jwt"].Recall, 0.5},
		{"jwt F1", s.PerType["jwt"].F1, 2.0 / 3},
		{"iban P", s.PerType["iban"].Precision, 0},
		{"iban F1", s.PerType["iban"].F1, 0},
		{"micro P", s.Micro.Precision, 5.0 / 8},
		{"micro R", s.Micro.Recall, 5.0 / 6},
		{"micro F1", s.Micro.F1, 5.0 / 7},
		{"macro P", s.Macro.Precision, (0.8 + 1 + 0) / 3},
		{"macro R", s.Macro.Recall, (1 + 0.5 + 1) / 3},
		{"macro F1", s.Macro.F1, (8.0/9 + 2.0/3 + 0) / 3},
	}
	for _, c := range checks {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if s.Micro.TP != 5 || s.Micro.FP != 3 || s.Micro.FN != 1 {
		t.Errorf("micro counts %+v", s.Micro.TypeCounts)
	}
	empty := Summarize(map[string]TypeCounts{})
	if empty.Micro.Precision != 1 || empty.Macro.F1 != 1 {
		t.Errorf("nothing to find and nothing found should score 1, got %+v", empty)
	}
}

// FuzzMatchSpans: whatever the spans, matching partitions them (each gold and
// each prediction exactly once), pairs share a type and overlap enough.
func FuzzMatchSpans(f *testing.F) {
	f.Add([]byte{0, 10, 0, 5, 20, 1}, []byte{0, 10, 0, 0, 9, 1})
	f.Add([]byte{1, 0, 30}, []byte{1, 0, 12, 1, 14, 30})
	f.Fuzz(func(t *testing.T, g, p []byte) {
		gold, pred := spansFrom(g), spansFrom(p)
		m := MatchSpans(gold, pred)
		seenG, seenP := map[int]int{}, map[int]int{}
		for _, x := range m.Matches {
			seenG[x.Gold]++
			seenP[x.Pred]++
			a, b := gold[x.Gold], pred[x.Pred]
			if a.Type != b.Type || float64(overlap(a, b)) < MinOverlap*float64(min(length(a), length(b))) || overlap(a, b) == 0 {
				t.Fatalf("bad pair %+v %+v", a, b)
			}
		}
		for _, i := range m.FN {
			seenG[i]++
		}
		for _, i := range m.FP {
			seenP[i]++
		}
		for i := range gold {
			if seenG[i] != 1 {
				t.Fatalf("gold %d accounted %d times", i, seenG[i])
			}
		}
		for i := range pred {
			if seenP[i] != 1 {
				t.Fatalf("prediction %d accounted %d times", i, seenP[i])
			}
		}
	})
}

// spansFrom decodes triples (type, start, length) from fuzz bytes.
func spansFrom(b []byte) []Span {
	types := []string{"email", "jwt", "password"}
	var out []Span
	for i := 0; i+2 < len(b); i += 3 {
		start := int64(b[i+1])
		out = append(out, Span{Type: types[int(b[i])%len(types)], Start: start, End: start + 1 + int64(b[i+2]%40)})
	}
	return out
}

// BenchmarkScoreSpans: a dense case (200 gold, 220 predictions) against a
// sparse one (20 / 22) as the baseline, to show how matching scales.
func BenchmarkScoreSpans(b *testing.B) {
	mk := func(n int, shift int64) []Span {
		out := make([]Span, n)
		for i := range out {
			s := int64(i)*50 + shift
			out[i] = Span{Type: []string{"email", "ip_address"}[i%2], Start: s, End: s + 20}
		}
		return out
	}
	for _, size := range []int{20, 200} {
		gold, pred := mk(size, 0), mk(size+size/10, 3)
		b.Run(fmt.Sprintf("spans=%d", size), func(b *testing.B) {
			for b.Loop() {
				ScoreSpans(gold, pred)
			}
		})
	}
}
