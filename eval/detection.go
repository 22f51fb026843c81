package eval

import (
	"sort"
)

// Detection scoring: span-overlap matching between gold and predicted spans.
//
// A predicted span and a gold span are a candidate pair when they have the
// same type and their byte ranges overlap by at least half of the shorter of
// the two ranges (MinOverlap). Pairs are accepted greedily, largest overlap
// first (ties: earlier gold, then earlier prediction), each span in at most
// one pair. Accepted pairs are true positives, predictions left over are
// false positives, gold spans left over are false negatives.
//
// Why this rule: detectors legitimately disagree by a few bytes at the edges
// (a trailing quote, a "Bearer " prefix), which a 50% overlap forgives, while
// a prediction that merely touches a gold span (a key name next to its value)
// or covers a whole line around a short value does not count. One-to-one
// matching means two predictions on one secret are one TP and one FP, and one
// prediction spanning two secrets is one TP and one FN.

// MinOverlap is the share of the shorter span the overlap must reach.
const MinOverlap = 0.5

// Match is one accepted gold/prediction pair (indexes into the inputs).
type Match struct {
	Gold, Pred int
}

// Matching is the full outcome of matching one case, for reports that need
// to show which spans were missed or spurious.
type Matching struct {
	Matches []Match
	FP      []int // indexes of unmatched predictions
	FN      []int // indexes of unmatched gold spans
}

// MatchSpans matches predictions to gold spans (rule above).
func MatchSpans(gold, pred []Span) Matching {
	type cand struct {
		g, p    int
		overlap int64
	}
	var cands []cand
	for gi, g := range gold {
		for pi, p := range pred {
			if g.Type != p.Type {
				continue
			}
			if ov := overlap(g, p); ov > 0 && float64(ov) >= MinOverlap*float64(min(length(g), length(p))) {
				cands = append(cands, cand{gi, pi, ov})
			}
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.overlap != b.overlap {
			return a.overlap > b.overlap
		}
		if a.g != b.g {
			return a.g < b.g
		}
		return a.p < b.p
	})
	goldUsed, predUsed := make([]bool, len(gold)), make([]bool, len(pred))
	var m Matching
	for _, c := range cands {
		if goldUsed[c.g] || predUsed[c.p] {
			continue
		}
		goldUsed[c.g], predUsed[c.p] = true, true
		m.Matches = append(m.Matches, Match{Gold: c.g, Pred: c.p})
	}
	sort.Slice(m.Matches, func(i, j int) bool { return m.Matches[i].Gold < m.Matches[j].Gold })
	for i, used := range predUsed {
		if !used {
			m.FP = append(m.FP, i)
		}
	}
	for i, used := range goldUsed {
		if !used {
			m.FN = append(m.FN, i)
		}
	}
	return m
}

// ScoreSpans counts TP/FP/FN per finding type for one case. gold == nil
// means the case is not labelled for detection and yields nil (not scored);
// a non-nil empty gold makes every prediction a false positive.
func ScoreSpans(gold, pred []Span) map[string]TypeCounts {
	if gold == nil {
		return nil
	}
	m := MatchSpans(gold, pred)
	out := map[string]TypeCounts{}
	for _, x := range m.Matches {
		c := out[gold[x.Gold].Type]
		c.TP++
		out[gold[x.Gold].Type] = c
	}
	for _, i := range m.FP {
		c := out[pred[i].Type]
		c.FP++
		out[pred[i].Type] = c
	}
	for _, i := range m.FN {
		c := out[gold[i].Type]
		c.FN++
		out[gold[i].Type] = c
	}
	return out
}

// DetectionScore aggregates per-type counts over cases.
type DetectionScore struct {
	PerType map[string]PRF
	// Micro pools the counts of every type; Macro averages the per-type
	// precision, recall and F1 over the types that occur (gold or predicted).
	Micro PRF
	Macro struct{ Precision, Recall, F1 float64 }
}

// AddCounts sums per-case counts into totals (in place).
func AddCounts(total map[string]TypeCounts, c map[string]TypeCounts) {
	for typ, n := range c {
		t := total[typ]
		t.TP, t.FP, t.FN = t.TP+n.TP, t.FP+n.FP, t.FN+n.FN
		total[typ] = t
	}
}

// Summarize turns summed counts into per-type, micro and macro figures.
// A type with neither gold spans nor predictions scores 1/1/1 (prf).
func Summarize(total map[string]TypeCounts) DetectionScore {
	s := DetectionScore{PerType: map[string]PRF{}}
	var all TypeCounts
	for typ, c := range total {
		p := prf(c)
		s.PerType[typ] = p
		all.TP, all.FP, all.FN = all.TP+c.TP, all.FP+c.FP, all.FN+c.FN
		s.Macro.Precision += p.Precision
		s.Macro.Recall += p.Recall
		s.Macro.F1 += p.F1
	}
	s.Micro = prf(all)
	if n := float64(len(total)); n > 0 {
		s.Macro.Precision /= n
		s.Macro.Recall /= n
		s.Macro.F1 /= n
	} else {
		s.Macro.Precision, s.Macro.Recall, s.Macro.F1 = 1, 1, 1
	}
	return s
}

func overlap(a, b Span) int64 {
	lo, hi := max(a.Start, b.Start), min(a.End, b.End)
	if hi <= lo {
		return 0
	}
	return hi - lo
}

func length(s Span) int64 { return max(s.End-s.Start, 0) }
