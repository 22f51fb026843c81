// Package drain mines log templates online with a Drain-style fixed-depth
// parse tree (He et al., "Drain: An Online Log Parsing Approach with Fixed
// Depth Tree", ICWS 2017), over lines that are already redacted.
//
// A line is split into tokens and its variable parts are masked (see
// Tokenize); the tree then routes it by token count and by its first tokens
// to a short list of clusters, and the line joins the most similar one when
// enough positions agree, turning the positions that differ into "<*>".
// Otherwise it starts a cluster of its own. The miner is streaming: memory
// grows with the number of templates, never with the number of lines.
//
// Two changes from the paper, both measured on the Loghub 2k sets (see
// docs/anomaly.md): masking works on the parts of a token between
// punctuation ("onExtend:1514038530000" is "onExtend:<*>", not "<*>"), and a
// run of masked tokens counts as one, so a variable that spans a varying
// number of tokens (a date, a host list) does not split its template by
// length.
package drain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

// Wildcard stands for a variable token in a template.
const Wildcard = "<*>"

// Options configure a Miner. Zero fields take the defaults.
type Options struct {
	// Depth is the number of leading tokens that route a line to its leaf
	// (the paper's depth minus the root and the length layer); default 2.
	Depth int
	// Similarity is the fraction of a template's positions a line must
	// match to join it; default 0.5.
	Similarity float64
	// MaxChildren bounds the children of an inner node; further distinct
	// tokens share the wildcard child. Default 100.
	MaxChildren int
	// CrossSimilarity is the stricter fraction a line must match to join a
	// template of its length in another leaf; default 0.8.
	CrossSimilarity float64
	// MaxClusters bounds memory; once reached, a line that matches no
	// cluster is not added (Add returns -1). Default 20000.
	MaxClusters int
	// MaxTokens cuts lines longer than this many tokens; default 128.
	MaxTokens int
}

func (o Options) withDefaults() Options {
	if o.Depth <= 0 {
		o.Depth = 2
	}
	if o.Similarity <= 0 {
		o.Similarity = 0.5
	}
	if o.CrossSimilarity <= 0 {
		o.CrossSimilarity = 0.8
	}
	if o.MaxChildren <= 0 {
		o.MaxChildren = 100
	}
	if o.MaxClusters <= 0 {
		o.MaxClusters = 20000
	}
	if o.MaxTokens <= 0 {
		o.MaxTokens = 128
	}
	return o
}

// Cluster is one template and the lines that matched it.
type Cluster struct {
	// ID is stable for the cluster's life and across miners: the hash of
	// the template it started with (or the ID it was seeded with).
	ID       string
	Template string
	Count    int
}

// token ids: 0 is the wildcard; others index Miner.words.
const wild = 0

type cluster struct {
	id     string
	tokens []int32
	count  int
	// indexed: filed in Miner.byFirst under key.
	indexed bool
	key     int32
	leaf    *node // where the template routes
	length  int   // its length when filed in Miner.byLen
}

type node struct {
	children map[int32]*node
	clusters []int // leaf: indexes into Miner.clusters
}

// Miner is a streaming template miner. It is not safe for concurrent use.
type Miner struct {
	opt      Options
	root     map[int]*node // by token count
	clusters []*cluster
	words    []string
	pinned   []bool // by token id: the token is a state (see isState)
	ids      map[string]int32
	byFirst  map[int32][]int // clusters with a wildcard, by first token (see align)
	byLen    map[int][]int   // clusters by template length (see nearest)
	tok      tokenizer
	buf      []int32
	kbuf     []byte
	seen     map[string]int32 // masked line -> its cluster (see Add)
}

// New returns an empty miner.
func New(o Options) *Miner {
	return &Miner{opt: o.withDefaults(), root: map[int]*node{}, byFirst: map[int32][]int{}, byLen: map[int][]int{}, seen: map[string]int32{}, words: []string{Wildcard}, pinned: []bool{false}, ids: map[string]int32{Wildcard: wild}}
}

// Add mines one line and returns the index of its cluster (see Cluster),
// or -1 when the line is empty or the miner is full.
func (m *Miner) Add(line []byte) int {
	m.kbuf = m.key(m.kbuf[:0], line)
	if len(m.kbuf) == 0 {
		return -1
	}
	// A line masked exactly like one before joins its cluster: that line
	// already made the template fit it.
	if c, ok := m.seen[string(m.kbuf)]; ok {
		m.clusters[c].count++
		return int(c)
	}
	c := m.add(m.intern(m.buf[:0], m.kbuf))
	if c >= 0 && len(m.seen) < maxSeen {
		m.seen[string(m.kbuf)] = int32(c)
	}
	return c
}

// Hit counts one more line for cluster i, a line the caller knows belongs
// to it (it was normalized like an earlier line of the cluster).
func (m *Miner) Hit(i int) { m.clusters[i].count++ }

// maxSeen bounds the cache of masked lines.
const maxSeen = 1 << 16

func (m *Miner) add(tokens []int32) int {
	m.buf = tokens
	c := m.search(m.buf)
	if c < 0 {
		if c = m.align(m.buf); c >= 0 {
			m.clusters[c].count++
			return c
		}
		c = m.nearest(m.buf)
	}
	if c >= 0 {
		cl := m.clusters[c]
		cl.count++
		changed := false
		for i, t := range cl.tokens {
			if t != m.buf[i] {
				cl.tokens[i] = wild
				changed = true
			}
		}
		if changed {
			m.collapse(cl)
			m.place(c)
			m.indexFirst(c)
		}
		return c
	}
	if len(m.clusters) >= m.opt.MaxClusters {
		return -1
	}
	return m.insert("", append([]int32(nil), m.buf...), 1)
}

// search is Drain's tree search: the best cluster of the line's leaf, or
// when none is similar enough, of the leaves where wildcards stand for
// some of the routing tokens.
func (m *Miner) search(tokens []int32) int {
	n := min(m.opt.Depth, len(tokens))
	for mask := 0; mask < 1<<n; mask++ {
		if leaf := m.walk(tokens, mask); leaf != nil {
			if c := m.best(leaf, tokens); c >= 0 {
				return c
			}
		}
	}
	return -1
}

// nearest compares the line with every cluster of its length, across
// leaves, at the stricter CrossSimilarity: the same statement whose first
// token is a variable (a job or class name) lands in another leaf.
func (m *Miner) nearest(tokens []int32) int {
	best, bestSim := -1, 0.0
	for _, c := range m.byLen[len(tokens)] {
		same := 0
		for i, t := range m.clusters[c].tokens {
			switch {
			case t == tokens[i] && t != wild:
				same++
			case t != wild && m.pinned[t]:
				same = -len(tokens)
			}
		}
		if sim := float64(same) / float64(len(tokens)); sim > bestSim {
			best, bestSim = c, sim
		}
	}
	if bestSim >= m.opt.CrossSimilarity {
		return best
	}
	return -1
}

// collapse makes a run of wildcards in a template one wildcard, as the
// tokenizer does for lines, unless too few constants would be left.
func (m *Miner) collapse(cl *cluster) {
	out := cl.tokens[:0:0]
	for i, t := range cl.tokens {
		if t == wild && i > 0 && cl.tokens[i-1] == wild {
			continue
		}
		out = append(out, t)
	}
	if len(out) < len(cl.tokens) && constants(out) >= minAlignConstants {
		cl.tokens = out
	}
}

// place files cluster c in the leaf and length list its template routes
// to, moving it when a change of the template changed its route.
func (m *Miner) place(c int) {
	cl := m.clusters[c]
	leaf := m.leaf(cl.tokens, true)
	if leaf == cl.leaf {
		return
	}
	if cl.leaf != nil {
		cl.leaf.clusters = slices.DeleteFunc(cl.leaf.clusters, func(x int) bool { return x == c })
		m.byLen[cl.length] = slices.DeleteFunc(m.byLen[cl.length], func(x int) bool { return x == c })
	}
	leaf.clusters = append(leaf.clusters, c)
	cl.leaf, cl.length = leaf, len(cl.tokens)
	m.byLen[cl.length] = append(m.byLen[cl.length], c)
}

// indexFirst files a cluster with a wildcard under its first token for
// align (under the wildcard when that token is one).
func (m *Miner) indexFirst(c int) {
	cl := m.clusters[c]
	if !slices.Contains(cl.tokens, wild) {
		return
	}
	key := cl.tokens[0]
	if cl.indexed && cl.key == key {
		return
	}
	if cl.indexed {
		m.byFirst[cl.key] = slices.DeleteFunc(m.byFirst[cl.key], func(x int) bool { return x == c })
	}
	m.byFirst[key] = append(m.byFirst[key], c)
	cl.indexed, cl.key = true, key
}

// align finds a cluster whose template matches the line exactly when each
// wildcard may stand for one or more tokens: the same statement with a
// variable that spans a varying number of tokens ("at <*>" for a host
// name printed or not). Only lines the tree found no cluster for pay it,
// and only against templates with a wildcard and the line's first token.
func (m *Miner) align(tokens []int32) int {
	for _, key := range [2]int32{tokens[0], wild} {
		for _, c := range m.byFirst[key] {
			ct := m.clusters[c].tokens
			if n := constants(ct); n >= minAlignConstants && 2*n >= len(tokens) && matchRuns(ct, tokens) {
				return c
			}
		}
	}
	return -1
}

// minAlignConstants: a template with fewer constant tokens is too vague to
// stand for lines of another length.
const minAlignConstants = 2

func constants(tokens []int32) int {
	n := 0
	for _, t := range tokens {
		if t != wild {
			n++
		}
	}
	return n
}

// matchRuns: the template's constants equal the line's tokens in order,
// each wildcard taking one or more tokens.
func matchRuns(tmpl, line []int32) bool {
	if len(tmpl) == 0 {
		return len(line) == 0
	}
	if tmpl[0] != wild {
		return len(line) > 0 && line[0] == tmpl[0] && matchRuns(tmpl[1:], line[1:])
	}
	if len(tmpl) == 1 {
		return len(line) >= 1
	}
	for k := 1; k <= len(line)-(len(tmpl)-1); k++ {
		if tmpl[1] == line[k] && matchRuns(tmpl[1:], line[k:]) {
			return true
		}
	}
	return false
}

// Match returns the cluster a line would join, without changing the miner,
// or -1.
func (m *Miner) Match(line []byte) int {
	m.kbuf = m.key(m.kbuf[:0], line)
	if len(m.kbuf) == 0 {
		return -1
	}
	if c, ok := m.seen[string(m.kbuf)]; ok {
		return int(c)
	}
	m.buf = m.intern(m.buf[:0], m.kbuf)
	if c := m.search(m.buf); c >= 0 {
		return c
	}
	if c := m.align(m.buf); c >= 0 {
		return c
	}
	return m.nearest(m.buf)
}

// Seed adds a known template (as Cluster.Template prints it) under a given
// ID with a zero count, so lines matching it later join it instead of
// starting a new cluster: history from earlier uploads primes a miner. It
// returns the cluster's index; a template already present keeps its
// cluster (and its ID).
func (m *Miner) Seed(id, template string) int {
	m.buf = m.buf[:0]
	for _, w := range strings.Fields(template) {
		if len(m.buf) == m.opt.MaxTokens {
			break
		}
		m.buf = append(m.buf, m.word(w))
	}
	if len(m.buf) == 0 {
		return -1
	}
	for _, c := range m.leaf(m.buf, true).clusters {
		if equalTokens(m.clusters[c].tokens, m.buf) {
			return c
		}
	}
	if len(m.clusters) >= m.opt.MaxClusters {
		return -1
	}
	return m.insert(id, append([]int32(nil), m.buf...), 0)
}

// ID is cluster i's ID (Cluster(i).ID without building the template).
func (m *Miner) ID(i int) string { return m.clusters[i].id }

// Len is the number of clusters.
func (m *Miner) Len() int { return len(m.clusters) }

// Cluster returns cluster i with its current template.
func (m *Miner) Cluster(i int) Cluster {
	c := m.clusters[i]
	return Cluster{ID: c.id, Template: m.template(c.tokens), Count: c.count}
}

// Clusters returns every cluster in creation order.
func (m *Miner) Clusters() []Cluster {
	out := make([]Cluster, len(m.clusters))
	for i := range m.clusters {
		out[i] = m.Cluster(i)
	}
	return out
}

// TemplateID is the stable ID of a cluster that starts with template.
func TemplateID(template string) string {
	sum := sha256.Sum256([]byte(template))
	return "t" + hex.EncodeToString(sum[:8])
}

func (m *Miner) insert(id string, tokens []int32, count int) int {
	if id == "" {
		id = TemplateID(m.template(tokens))
	}
	m.clusters = append(m.clusters, &cluster{id: id, tokens: tokens, count: count})
	i := len(m.clusters) - 1
	m.place(i)
	m.indexFirst(i)
	return i
}

func (m *Miner) template(tokens []int32) string {
	var b strings.Builder
	for i, t := range tokens {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(m.words[t])
	}
	return b.String()
}

// leaf builds (or finds) the leaf a template routes to: its length, then
// up to Depth leading tokens. A token holding a wildcard, and any token once
// a node is full, takes the wildcard branch.
func (m *Miner) leaf(tokens []int32, create bool) *node {
	n := m.root[len(tokens)]
	if n == nil {
		if !create {
			return nil
		}
		n = &node{children: map[int32]*node{}}
		m.root[len(tokens)] = n
	}
	for d := 0; d < m.opt.Depth && d < len(tokens); d++ {
		t := tokens[d]
		if m.hasWild(t) {
			t = wild
		}
		next := n.children[t]
		if next == nil && t != wild && len(n.children) >= m.opt.MaxChildren {
			t = wild
			next = n.children[wild]
		}
		if next == nil {
			if !create {
				return nil
			}
			next = &node{children: map[int32]*node{}}
			n.children[t] = next
		}
		n = next
	}
	return n
}

// walk finds a line's leaf with the routing tokens whose bit is set in
// mask replaced by the wildcard; nil when there is no such leaf.
func (m *Miner) walk(tokens []int32, mask int) *node {
	n := m.root[len(tokens)]
	for d := 0; n != nil && d < m.opt.Depth && d < len(tokens); d++ {
		t := tokens[d]
		if m.hasWild(t) {
			if mask&(1<<d) != 0 {
				return nil // the same leaf as without the bit
			}
			t = wild
		}
		if mask&(1<<d) != 0 {
			t = wild
		}
		next, ok := n.children[t]
		if !ok && t != wild && len(n.children) >= m.opt.MaxChildren {
			next = n.children[wild]
		}
		n = next
	}
	return n
}

// hasWild: a token with a masked part ("id=<*>") routes like a variable,
// because the part before the mask is often itself a variable name.
func (m *Miner) hasWild(t int32) bool {
	return t == wild || strings.Contains(m.words[t], Wildcard)
}

// best is the leaf's most similar cluster at or above the threshold
// (ties go to the template with more wildcards, as in Drain), or -1.
func (m *Miner) best(leaf *node, tokens []int32) int {
	best, bestSim, bestWild := -1, -1.0, -1
	for _, c := range leaf.clusters {
		ct := m.clusters[c].tokens
		same, wilds := 0, 0
		for i, t := range ct {
			switch {
			case t == wild:
				wilds++
			case t == tokens[i]:
				same++
			case m.pinned[t]:
				same = -len(ct) // another state: another statement
			}
		}
		// Wildcards match anything but do not count as agreement, so a
		// template cannot absorb every line of its length; a template that
		// is all wildcards still takes lines of its own shape.
		sim := float64(same) / float64(len(ct))
		if wilds == len(ct) || same+wilds == len(ct) && equalTokens(ct, tokens) {
			sim = 1 // a line always joins its own template
		}
		if sim > bestSim || sim == bestSim && wilds > bestWild {
			best, bestSim, bestWild = c, sim, wilds
		}
	}
	if best >= 0 && bestSim >= m.opt.Similarity {
		return best
	}
	return -1
}

func equalTokens(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// word interns a token.
func (m *Miner) word(w string) int32 {
	if id, ok := m.ids[w]; ok {
		return id
	}
	id := int32(len(m.words))
	m.words = append(m.words, w)
	m.pinned = append(m.pinned, isState(w))
	m.ids[w] = id
	return id
}

// isState: a "key=word" token names a state ("user=root", "mode=false",
// "status=FAILED"), not a value: lines that differ in a state are different
// events, which matters most for triage (a failure is not a success with
// another value). Numbers and ids are masked before this is asked.
func isState(w string) bool {
	i := strings.IndexByte(w, '=')
	if i <= 0 || i == len(w)-1 || strings.Contains(w, Wildcard) {
		return false
	}
	v := strings.TrimSuffix(w[i+1:], ",")
	hex := len(v) >= 8
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-') {
			return false
		}
		hex = hex && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')
	}
	return v != "" && !hex // "ffffffff" is a mask, not a state
}

// wordBytes interns a token without allocating when it is known.
func (m *Miner) wordBytes(w []byte) int32 {
	if id, ok := m.ids[string(w)]; ok {
		return id
	}
	return m.word(string(w))
}

// key appends the masked tokens of line to dst, separated by single
// spaces, a run of variables as one: the line as the miner sees it.
// Masked tokens hold no white space, so splitting on ' ' gives them back.
func (m *Miner) key(dst, line []byte) []byte {
	m.tok.reset(line)
	n := 0
	lastWild := false
	for n < m.opt.MaxTokens {
		w, ok := m.tok.next()
		if !ok {
			break
		}
		isWild := string(w) == Wildcard
		if isWild && lastWild {
			continue // a run of variables is one variable
		}
		lastWild = isWild
		if n > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, w...)
		n++
	}
	return dst
}

// intern appends the token ids of a key to dst.
func (m *Miner) intern(dst []int32, key []byte) []int32 {
	for len(key) > 0 {
		i := bytes.IndexByte(key, ' ')
		if i < 0 {
			i = len(key)
		}
		dst = append(dst, m.wordBytes(key[:i]))
		key = key[min(i+1, len(key)):]
	}
	return dst
}
