// Package vocab is the triage vocabulary: the phrases real systems use for
// failures, their modifiers, fatal signals, security readings and lines
// addressed to a classifier. It is data (embedded JSON files), each pattern
// carrying examples it must and must not match; the streaming analysis
// (triage) and the rules classifier (triage/rules) both read it.
package vocab

import (
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
}

func Lower(pattern string) *Pattern {
	p := &Pattern{re: regexp.MustCompile(pattern)}
	if t, err := syntax.Parse(pattern, syntax.Perl); err == nil {
		if needles, ok := leadingLiterals(t.Simplify()); ok {
			p.needles = needles
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

// HandledInput: the line says bad input was set aside.
var HandledInput = Lower(`skip(ped|ping)?\b|ignor(ed|ing)|discard(ed|ing)|dropp(ed|ing)|reject(ed|ing)|quarantin|invalid input|malformed|bad request|unsupported|in (the )?(upload|payload|request|message|input|image|file header)`)

// Prefiltered reports whether the pattern has a literal prefilter.
func (p *Pattern) Prefiltered() bool { return p.needles != nil }

// String is the expression's source.
func (p *Pattern) String() string { return p.re.String() }

// MatchRaw runs the expression without the prefilter (tests compare the two).
func (p *Pattern) MatchRaw(lower string) bool { return p.re.MatchString(lower) }
