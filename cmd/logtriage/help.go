package main

import (
	"sort"
	"strings"
)

// asksHelp reports whether the arguments ask for a command's usage (-h,
// -help or --help before any "--").
func asksHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// didYouMean suggests the registered commands closest to a mistyped one
// (at most two edits away, or starting with it), as ` (did you mean "serve"?)`:
// only the nearest, so "serv" gets serve and not also user.
func didYouMean(typed string) string {
	var near []string
	best := 3
	for name := range commands {
		d := editDistance(typed, name)
		if len(typed) >= 2 && strings.HasPrefix(name, typed) {
			d = min(d, 1)
		}
		switch {
		case d < best:
			best, near = d, []string{`"` + name + `"`}
		case d == best:
			near = append(near, `"`+name+`"`)
		}
	}
	if len(near) == 0 {
		return ""
	}
	sort.Strings(near)
	return " (did you mean " + strings.Join(near, " or ") + "?)"
}

// editDistance is the Levenshtein distance, with a swap of two adjacent
// letters counted as one edit (the commonest typo).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
