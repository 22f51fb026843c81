package vocab

import (
	"regexp/syntax"
	"slices"
	"testing"
)

func TestLeadingLiterals(t *testing.T) {
	parse := func(p string) *syntax.Regexp {
		re, err := syntax.Parse(p, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		return re.Simplify()
	}
	if got, ok := leadingLiterals(parse(`co(nnection refused|uld not)|\btimeout`)); !ok || !slices.Equal(got, []string{"connection refused", "could not", "timeout"}) {
		t.Errorf("leadingLiterals = %v, %v", got, ok)
	}
	if _, ok := leadingLiterals(parse(`abc|[xy]z`)); ok {
		t.Error("a branch starting with a class has no literal")
	}
}
