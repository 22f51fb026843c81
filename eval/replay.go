package eval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/logtriage/logtriage/triage"
)

// Replay measures learning from agents: the cases of a labelled set arrive
// one by one; each is triaged, stored, and then resolved with its gold
// labels, as an agent would resolve it, so later cases can learn from it.
// The same arrival order is run with learning off, and accuracy is compared
// on the second half, where earlier resolutions can have helped.

// ReplayOptions configure a replay.
type ReplayOptions struct {
	// Pipeline builds a pipeline over store with the feedback options given
	// (the replay passes Off for the baseline run). Required.
	Pipeline func(store triage.Store, fb triage.FeedbackOptions) (*triage.Pipeline, error)
	// Store opens a fresh, empty store that implements triage.Resolver and
	// triage.ExampleStore; the replay closes it. Required.
	Store func() (triage.Store, error)
	// Feedback are the options of the learning run.
	Feedback triage.FeedbackOptions
	// Shuffle, when > 0, replays that many random arrival orders (seeded
	// 1..Shuffle) instead of the dataset's order, and reports their mean and
	// worst: one order can flatter or hurt by chance.
	Shuffle int
	// SeverityLabels is the scale (default triage.SeverityLabels).
	SeverityLabels []string
}

// ReplayScores are accuracies over a set of cases.
type ReplayScores struct {
	Cases             int     `json:"cases"`
	SeverityExact     float64 `json:"severity_exact"`
	SeverityWithinOne float64 `json:"severity_within_one"`
	Category          float64 `json:"category"`
	Routing           float64 `json:"routing"`
}

// ReplayHalf is the second half scored without and with learning.
type ReplayHalf struct {
	Without ReplayScores `json:"without_feedback"`
	With    ReplayScores `json:"with_feedback"`
}

// ReplayResult is one replay, or the mean of several orders.
type ReplayResult struct {
	Dataset string `json:"dataset"`
	Orders  int    `json:"orders"` // arrival orders replayed
	// SecondHalf is every case of the second half.
	SecondHalf ReplayHalf `json:"second_half"`
	// SeenFamily are second-half cases with a case of the same family
	// earlier in the order (near-duplicates: learning there is recall of a
	// resolved twin); NewFamily the rest (learning there generalizes).
	// Both are empty when the set labels no families.
	SeenFamily ReplayHalf `json:"second_half_seen_family"`
	NewFamily  ReplayHalf `json:"second_half_new_family"`
	// Relabelled is how many second-half cases neighbours relabelled, and
	// Helped / Hurt how many of those moved severity onto / off the gold
	// label, summed over the orders replayed.
	Relabelled int `json:"relabelled"`
	Helped     int `json:"helped"`
	Hurt       int `json:"hurt"`
	// WorstWithSeverityExact is the lowest second-half severity exact with
	// feedback over the orders replayed.
	WorstWithSeverityExact float64 `json:"worst_with_severity_exact"`
}

type replayCase struct {
	gold        Case
	sev, cat, q string
	feedback    string
	failed      bool
}

// Replay runs the dataset in arrival order with and without learning.
func Replay(ctx context.Context, ds *Dataset, opt ReplayOptions) (*ReplayResult, error) {
	if opt.Pipeline == nil || opt.Store == nil {
		return nil, errors.New("eval: replay needs a Pipeline and a Store")
	}
	if opt.SeverityLabels == nil {
		opt.SeverityLabels = triage.SeverityLabels
	}
	orders := [][]int{datasetOrder(len(ds.Cases))}
	for seed := 1; seed <= opt.Shuffle; seed++ {
		if seed == 1 {
			orders = nil
		}
		order := datasetOrder(len(ds.Cases))
		r := rand.New(rand.NewPCG(uint64(seed), 0x6c6f677472696167))
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		orders = append(orders, order)
	}
	contents := make([][]byte, len(ds.Cases))
	for i, c := range ds.Cases {
		b, err := ds.Content(c)
		if err != nil {
			return nil, fmt.Errorf("eval: case %s: %w", c.ID, err)
		}
		contents[i] = b
	}
	out := &ReplayResult{Dataset: ds.Path, Orders: len(orders), WorstWithSeverityExact: 1}
	var sums [3][2]ReplayScores
	for _, order := range orders {
		off := opt.Feedback
		off.Off = true
		without, err := replayOnce(ctx, ds, contents, order, opt, off)
		if err != nil {
			return nil, err
		}
		with, err := replayOnce(ctx, ds, contents, order, opt, opt.Feedback)
		if err != nil {
			return nil, err
		}
		half := len(order) / 2
		seen := map[string]bool{}
		for _, i := range order[:half] {
			if f := ds.Cases[i].Family; f != "" {
				seen[f] = true
			}
		}
		var all, seenFam, newFam [2][]replayCase
		for pos := half; pos < len(order); pos++ {
			a, b := without[pos], with[pos]
			all[0], all[1] = append(all[0], a), append(all[1], b)
			if f := a.gold.Family; f != "" {
				if seen[f] {
					seenFam[0], seenFam[1] = append(seenFam[0], a), append(seenFam[1], b)
				} else {
					newFam[0], newFam[1] = append(newFam[0], a), append(newFam[1], b)
				}
				seen[f] = true
			}
			if b.feedback != "" && (a.sev != b.sev || a.cat != b.cat || a.q != b.q) {
				out.Relabelled++
				switch {
				case b.sev == b.gold.Severity && a.sev != a.gold.Severity:
					out.Helped++
				case b.sev != b.gold.Severity && a.sev == a.gold.Severity:
					out.Hurt++
				}
			}
		}
		for g, group := range [3][2][]replayCase{all, seenFam, newFam} {
			for w := range 2 {
				sums[g][w] = addScores(sums[g][w], scoreReplay(group[w], opt.SeverityLabels))
			}
		}
		out.WorstWithSeverityExact = min(out.WorstWithSeverityExact, scoreReplay(all[1], opt.SeverityLabels).SeverityExact)
	}
	n := float64(len(orders))
	for g, half := range []*ReplayHalf{&out.SecondHalf, &out.SeenFamily, &out.NewFamily} {
		half.Without, half.With = divScores(sums[g][0], n), divScores(sums[g][1], n)
	}
	return out, nil
}

func datasetOrder(n int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	return order
}

// replayOnce triages the cases in order against a fresh store, storing each
// and resolving it with its gold labels before the next arrives.
func replayOnce(ctx context.Context, ds *Dataset, contents [][]byte, order []int, opt ReplayOptions, fb triage.FeedbackOptions) ([]replayCase, error) {
	store, err := opt.Store()
	if err != nil {
		return nil, fmt.Errorf("eval: replay store: %w", err)
	}
	defer store.Close()
	resolver, ok := store.(triage.Resolver)
	if !ok {
		return nil, fmt.Errorf("eval: replay store %T cannot record resolutions", store)
	}
	p, err := opt.Pipeline(store, fb)
	if err != nil {
		return nil, err
	}
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]replayCase, 0, len(order))
	for _, i := range order {
		gold := ds.Cases[i]
		rc := replayCase{gold: gold}
		tenant := gold.Tenant
		if tenant == "" {
			tenant = "eval"
		}
		sum := sha256.Sum256(contents[i])
		sha := hex.EncodeToString(sum[:])
		up := triage.Upload{ID: gold.ID, Name: uploadName(gold, sha), SHA256: sha, Size: int64(len(contents[i]))}
		c, emb, err := PipelineTriage(p)(ctx, tenant, up, contents[i])
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			rc.failed = true
			out = append(out, rc)
			continue
		}
		rc.sev, rc.cat, rc.q, rc.feedback = c.Severity.Label, c.Category, c.Queue, c.Classifier.Feedback
		if err := store.PutCase(ctx, c, emb); err != nil {
			return nil, fmt.Errorf("eval: replay: store %s: %w", gold.ID, err)
		}
		clock = clock.Add(time.Minute)
		res := triage.Resolution{Tenant: tenant, CaseID: c.ID, Agent: "replay", ResolvedAt: clock,
			Severity: gold.Severity, Category: gold.Category, Queue: gold.Queue}
		if err := resolver.Resolve(ctx, res); err != nil {
			return nil, fmt.Errorf("eval: replay: resolve %s: %w", gold.ID, err)
		}
		out = append(out, rc)
	}
	return out, nil
}

func scoreReplay(cs []replayCase, labels []string) ReplayScores {
	var s ReplayScores
	var sevN, catN, qN float64
	rank := map[string]int{}
	for i, l := range labels {
		rank[l] = i
	}
	for _, c := range cs {
		s.Cases++
		if g := c.gold.Severity; g != "" {
			sevN++
			if c.sev == g {
				s.SeverityExact++
			}
			if r, ok := rank[c.sev]; ok && absInt(r-rank[g]) <= 1 {
				s.SeverityWithinOne++
			}
		}
		if g := c.gold.Category; g != "" {
			catN++
			if c.cat == g {
				s.Category++
			}
		}
		if g := c.gold.Queue; g != "" {
			qN++
			if c.q == g {
				s.Routing++
			}
		}
	}
	s.SeverityExact, s.SeverityWithinOne = frac(s.SeverityExact, sevN), frac(s.SeverityWithinOne, sevN)
	s.Category, s.Routing = frac(s.Category, catN), frac(s.Routing, qN)
	return s
}

func frac(a, n float64) float64 {
	if n == 0 {
		return 0
	}
	return a / n
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func addScores(a, b ReplayScores) ReplayScores {
	return ReplayScores{Cases: a.Cases + b.Cases, SeverityExact: a.SeverityExact + b.SeverityExact,
		SeverityWithinOne: a.SeverityWithinOne + b.SeverityWithinOne, Category: a.Category + b.Category, Routing: a.Routing + b.Routing}
}

// divScores averages summed scores over n orders; Cases stays per order.
func divScores(s ReplayScores, n float64) ReplayScores {
	return ReplayScores{Cases: int(float64(s.Cases)/n + 0.5), SeverityExact: s.SeverityExact / n,
		SeverityWithinOne: s.SeverityWithinOne / n, Category: s.Category / n, Routing: s.Routing / n}
}
