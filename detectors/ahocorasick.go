package detectors

// keywordMatcher finds, in one pass over a block, every occurrence of any of
// many keywords, ignoring ASCII case: an Aho-Corasick automaton compiled
// into a full DFA (failure links folded into the transition table), so each
// input byte costs one table lookup whatever the number of keywords. The
// custom rules' prefilter runs it once per block, so 200 rules cost about
// what 10 do: only the lines holding a rule's keyword run its regexp.
type keywordMatcher struct {
	class  [256]uint8 // byte -> alphabet class (0: no keyword has this byte)
	start  [256]uint8 // 1 for the bytes some keyword starts with (either case)
	nclass int
	delta  []int32   // state*nclass + class -> next state (while building)
	rows   []int32   // row + class -> next row (state*nclass), sign bit: the state ends a keyword
	out    [][]int32 // state -> ids of the keywords ending there (via suffix links too)
}

// newKeywordMatcher builds the automaton; ids[i] is reported for words[i].
// Words are matched ignoring ASCII case; empty words are skipped.
func newKeywordMatcher(words [][]byte, ids []int32) *keywordMatcher {
	m := &keywordMatcher{nclass: 1}
	for _, w := range words {
		for _, c := range w {
			c = lowerASCII(c)
			if m.class[c] == 0 { // at most 230 classes: upper-case letters share theirs
				m.class[c] = uint8(m.nclass)
				m.nclass++
			}
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		m.class[c] = m.class[c+('a'-'A')]
	}
	for _, w := range words {
		if len(w) > 0 {
			c := lowerASCII(w[0])
			m.start[c] = 1
			if isLower(c) {
				m.start[c-('a'-'A')] = 1
			}
		}
	}
	// trie
	children := []map[uint8]int32{{}}
	m.out = [][]int32{nil}
	for i, w := range words {
		if len(w) == 0 {
			continue
		}
		s := int32(0)
		for _, c := range w {
			k := m.class[lowerASCII(c)]
			next, ok := children[s][k]
			if !ok {
				next = int32(len(children))
				children = append(children, map[uint8]int32{})
				m.out = append(m.out, nil)
				children[s][k] = next
			}
			s = next
		}
		m.out[s] = append(m.out[s], ids[i])
	}
	// breadth-first: failure links, folded into a full transition table
	n := len(children)
	m.delta = make([]int32, n*m.nclass)
	fail := make([]int32, n)
	queue := make([]int32, 0, n)
	for k := 1; k < m.nclass; k++ {
		if next, ok := children[0][uint8(k)]; ok {
			m.delta[k] = next
			queue = append(queue, next)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := fail[s]
		m.out[s] = append(m.out[s], m.out[f]...)
		for k := 1; k < m.nclass; k++ {
			if next, ok := children[s][uint8(k)]; ok {
				fail[next] = m.delta[int(f)*m.nclass+k]
				m.delta[int(s)*m.nclass+k] = next
				queue = append(queue, next)
			} else {
				m.delta[int(s)*m.nclass+k] = m.delta[int(f)*m.nclass+k]
			}
		}
	}
	m.finish()
	return m
}

func lowerASCII(c byte) byte {
	if isUpper(c) {
		return c | 0x20
	}
	return c
}

// scan calls hit(id, end) for every keyword occurrence in b, end exclusive.
// The table holds row offsets (state*nclass) with the sign bit set on states
// that end a keyword, so the loop is one load and one test per byte.
func (m *keywordMatcher) scan(b []byte, hit func(id int32, end int)) {
	delta, class := m.rows, &m.class
	row := 0
	for i := 0; i < len(b); i++ {
		// from the root, bytes no keyword starts with leave it at the root:
		// skip them without touching the table (most bytes of a log)
		if row == 0 {
			for i < len(b) && m.start[b[i]] == 0 {
				i++
			}
			if i == len(b) {
				return
			}
		}
		next := delta[row+int(class[b[i]])]
		row = int(next &^ hitBit)
		if next < 0 {
			for _, id := range m.out[row/m.nclass] {
				hit(id, i+1)
			}
		}
	}
}

const hitBit = -1 << 31

// finish turns delta (state numbers) into rows (row offsets, flagged).
func (m *keywordMatcher) finish() {
	m.rows = make([]int32, len(m.delta))
	for i, next := range m.delta {
		r := next * int32(m.nclass)
		if len(m.out[next]) > 0 {
			r |= hitBit
		}
		m.rows[i] = r
	}
	m.delta = nil
}
