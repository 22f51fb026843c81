package eval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/logtriage/logtriage/triage"
)

// Similar incidents across wording: the same incident reported by two
// different systems (an expired upstream certificate seen by a mesh sidecar
// and by an API gateway; a pool exhausted in Java and in Python) shares
// little wording, so a signature of log templates finds one from the other
// far less often than it finds a family member that shares the words.
// CrossSystemRecall measures exactly that, on groups of existing labelled
// cases (eval/datasets/crosssystem/groups.json) from independently written
// sets.

// CrossSystemGroup is one incident and its members, each "set:id-or-family".
type CrossSystemGroup struct {
	Incident string   `json:"incident"`
	Members  []string `json:"members"`
}

// LoadCrossSystemGroups reads a groups file.
func LoadCrossSystemGroups(path string) ([]CrossSystemGroup, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("eval: cross-system groups: %w", err)
	}
	var f struct {
		About  string             `json:"about"`
		Groups []CrossSystemGroup `json:"groups"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("eval: %s: %w", path, err)
	}
	if len(f.Groups) == 0 {
		return nil, fmt.Errorf("eval: %s: no groups", path)
	}
	return f.Groups, nil
}

// NamedDataset is a dataset with the name groups refer to it by.
type NamedDataset struct {
	Name    string
	Dataset *Dataset
}

// CrossSystemResult is recall@K over every grouped case.
type CrossSystemResult struct {
	K       int           `json:"k"`
	Corpus  int           `json:"corpus"`  // cases searched: every case of every set
	Queries int           `json:"queries"` // grouped cases, each asked for its K nearest
	Hits    int           `json:"hits"`    // of them, with a same-incident case of another set in the K
	Recall  float64       `json:"recall"`
	Groups  []GroupRecall `json:"groups"`
}

// GroupRecall is one incident's share.
type GroupRecall struct {
	Incident string  `json:"incident"`
	Queries  int     `json:"queries"`
	Hits     int     `json:"hits"`
	Recall   float64 `json:"recall"`
}

type corpusCase struct {
	set, id, family string
	emb             *triage.Embedding
}

// CrossSystemRecall triages every case of every set (the embedding is what
// the pipeline stores), then asks, for each case of a group, for its K
// nearest among all the other cases: a hit when a member of the same group
// from another set is among them. Cases of the query's own set never count
// as hits (within a set, members may share an author's wording), but they
// stay in the corpus as distractors, as every other case does.
func CrossSystemRecall(ctx context.Context, sets []NamedDataset, groups []CrossSystemGroup, triageFn TriageFunc, k int) (*CrossSystemResult, error) {
	if k <= 0 {
		k = 5
	}
	var corpus []corpusCase
	for _, s := range sets {
		for _, c := range s.Dataset.Cases {
			content, err := s.Dataset.Content(c)
			if err != nil {
				return nil, fmt.Errorf("eval: %s/%s: %w", s.Name, c.ID, err)
			}
			sum := sha256.Sum256(content)
			sha := hex.EncodeToString(sum[:])
			up := triage.Upload{ID: c.ID, Name: uploadName(c, sha), SHA256: sha, Size: int64(len(content))}
			tenant := c.Tenant
			if tenant == "" {
				tenant = "eval"
			}
			_, emb, err := triageFn(ctx, tenant, up, content)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				emb = nil // a case the pipeline refused is in no one's top k
			}
			corpus = append(corpus, corpusCase{set: s.Name, id: c.ID, family: c.Family, emb: emb})
		}
	}
	groupOf := map[int]int{} // corpus index -> group index
	for g, grp := range groups {
		for _, m := range grp.Members {
			set, name, ok := strings.Cut(m, ":")
			if !ok {
				return nil, fmt.Errorf("eval: cross-system member %q is not set:id", m)
			}
			found := false
			for i, c := range corpus {
				if c.set == set && (c.id == name || c.family == name) {
					if prev, dup := groupOf[i]; dup && prev != g {
						return nil, fmt.Errorf("eval: case %s/%s is in two groups", set, c.id)
					}
					groupOf[i], found = g, true
				}
			}
			if !found {
				return nil, fmt.Errorf("eval: cross-system member %s is in no set given", m)
			}
		}
	}
	res := &CrossSystemResult{K: k, Corpus: len(corpus), Groups: make([]GroupRecall, len(groups))}
	for g, grp := range groups {
		res.Groups[g].Incident = grp.Incident
	}
	queries := make([]int, 0, len(groupOf))
	for i := range groupOf {
		queries = append(queries, i)
	}
	sort.Ints(queries)
	for _, q := range queries {
		g := groupOf[q]
		res.Queries++
		res.Groups[g].Queries++
		if hitAtK(corpus, q, g, groupOf, k) {
			res.Hits++
			res.Groups[g].Hits++
		}
	}
	res.Recall = frac(float64(res.Hits), float64(res.Queries))
	for g := range res.Groups {
		res.Groups[g].Recall = frac(float64(res.Groups[g].Hits), float64(res.Groups[g].Queries))
	}
	return res, nil
}

// hitAtK: among the k cases nearest to corpus[q] (itself excluded), one of
// group g from another set.
func hitAtK(corpus []corpusCase, q, g int, groupOf map[int]int, k int) bool {
	qe := corpus[q].emb
	if qe == nil {
		return false
	}
	type scored struct {
		i   int
		sim float64
	}
	var near []scored
	for i, c := range corpus {
		if i == q || c.emb == nil || c.emb.EmbedderID != qe.EmbedderID {
			continue
		}
		near = append(near, scored{i, cosine(qe.Vector, c.emb.Vector)})
	}
	sort.Slice(near, func(a, b int) bool {
		if near[a].sim != near[b].sim {
			return near[a].sim > near[b].sim
		}
		return near[a].i < near[b].i
	})
	for _, n := range near[:min(k, len(near))] {
		if cg, ok := groupOf[n.i]; ok && cg == g && corpus[n.i].set != corpus[q].set {
			return true
		}
	}
	return false
}

// TriageSets are the repository's labelled triage sets by the names
// groups.json uses, relative to eval/datasets.
var TriageSets = []struct{ Name, Path string }{
	{"triage", "triage/dataset.jsonl"},
	{"holdout", "triage/holdout/holdout.jsonl"},
	{"holdout2", "triage/holdout2/holdout2.jsonl"},
	{"holdout3", "triage/holdout3/holdout3.jsonl"},
	{"holdout4", "triage/holdout4/holdout4.jsonl"},
	{"holdout5", "triage/holdout5/holdout5.jsonl"},
}
