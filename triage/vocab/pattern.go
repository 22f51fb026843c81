// Package vocab is the triage vocabulary: the phrases real systems use for
// failures, their modifiers, fatal signals, security readings and lines
// addressed to a classifier. It is data (embedded JSON files), each pattern
// carrying examples it must and must not match; the streaming analysis
// (triage) and the rules classifier (triage/rules) both read it.
package vocab

import (
	"bytes"
	"regexp"
	"regexp/syntax"
	"strings"
)

// Pattern is a regular expression matched against lower-cased text
// (folding the line once is much cheaper than (?i) in every pattern), with
// a literal prefilter: a line holding none of the literals every match
// starts with cannot match, and most lines hold none.
type Pattern struct {
	re      *regexp.Regexp
	needles []string // nil: no prefilter, always run the expression
	bneedle [][]byte // needles as bytes, for MatchBytes
}

func Lower(pattern string) *Pattern {
	p := &Pattern{re: regexp.MustCompile(pattern)}
	if t, err := syntax.Parse(pattern, syntax.Perl); err == nil {
		if needles, ok := leadingLiterals(t.Simplify()); ok {
			p.needles = minimalNeedles(needles)
			needles = p.needles
			for _, n := range needles {
				p.bneedle = append(p.bneedle, []byte(n))
			}
		}
	}
	return p
}

// MatchString reports whether the lower-cased line matches.
func (p *Pattern) MatchString(lower string) bool {
	if p.needles != nil {
		hit := false
		for _, n := range p.needles {
			if strings.Contains(lower, n) {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	return p.re.MatchString(lower)
}

// leadingLiterals returns strings one of which every match of t starts
// with (after zero-width assertions), or false when some alternative has
// no literal start of two bytes or more.
func leadingLiterals(t *syntax.Regexp) ([]string, bool) {
	var out []string
	switch t.Op {
	case syntax.OpLiteral:
		if t.Flags&syntax.FoldCase != 0 {
			return nil, false // (?i) text: no literal to look for as written
		}
		out = []string{string(t.Rune)}
	case syntax.OpCapture:
		return leadingLiterals(t.Sub[0])
	case syntax.OpAlternate:
		for _, sub := range t.Sub {
			l, ok := leadingLiterals(sub)
			if !ok {
				return nil, false
			}
			out = append(out, l...)
		}
	case syntax.OpConcat:
		// Literal runs extend the prefix; an alternation after a short
		// prefix multiplies it ("co" + "nnection refused" | "uld not").
		out = []string{""}
	subs:
		for _, sub := range t.Sub {
			switch sub.Op {
			case syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpBeginLine, syntax.OpBeginText, syntax.OpEmptyMatch:
				if out[0] == "" {
					continue
				}
				break subs
			case syntax.OpLiteral:
				for i := range out {
					out[i] += string(sub.Rune)
				}
				continue
			case syntax.OpCapture, syntax.OpAlternate:
				if len(out[0]) >= 3 {
					break subs
				}
				next, ok := leadingLiterals(sub)
				if !ok {
					break subs
				}
				var crossed []string
				for _, p := range out {
					for _, n := range next {
						crossed = append(crossed, p+n)
					}
				}
				out = crossed
			}
			break
		}
	}
	for _, l := range out {
		if len(l) < 2 {
			return nil, false
		}
	}
	return out, len(out) > 0
}

// Prefiltered reports whether the pattern has a literal prefilter.
func (p *Pattern) Prefiltered() bool { return p.needles != nil }

// String is the expression's source.
func (p *Pattern) String() string { return p.re.String() }

// MatchRaw runs the expression without the prefilter (tests compare the two).
func (p *Pattern) MatchRaw(lower string) bool { return p.re.MatchString(lower) }

// MatchBytes is MatchString over a lower-cased byte line (the streaming
// pass holds bytes; no string is built unless a needle is present).
func (p *Pattern) MatchBytes(lower []byte) bool {
	if p.needles != nil {
		hit := false
		for _, n := range p.bneedle {
			if bytes.Contains(lower, n) {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	return p.re.Match(lower)
}

// Strip replaces every match in text (matched lower-cased) with a space,
// keeping the rest of text as written. When lower-casing changes byte
// lengths (rare non-ASCII letters), the lower-cased text is returned.
func (p *Pattern) Strip(text string) string {
	lower := strings.ToLower(text)
	if len(lower) != len(text) {
		return p.re.ReplaceAllString(lower, " ")
	}
	var b strings.Builder
	last := 0
	for _, m := range p.re.FindAllStringIndex(lower, -1) {
		b.WriteString(text[last:m[0]])
		b.WriteByte(' ')
		last = m[1]
	}
	b.WriteString(text[last:])
	return b.String()
}

// minimalNeedles drops needles that contain another needle: a line holding
// the longer one holds the shorter, so only the shorter need be looked for.
func minimalNeedles(needles []string) []string {
	var out []string
	for i, n := range needles {
		redundant := false
		for j, m := range needles {
			if i != j && strings.Contains(n, m) && (len(m) < len(n) || j < i) {
				redundant = true
				break
			}
		}
		if !redundant {
			out = append(out, n)
		}
	}
	return out
}

// withNeedles is p with an explicit prefilter.
func (p *Pattern) withNeedles(needles []string) *Pattern {
	q := &Pattern{re: p.re, needles: minimalNeedles(needles)}
	for _, n := range q.needles {
		q.bneedle = append(q.bneedle, []byte(n))
	}
	return q
}
