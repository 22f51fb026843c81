package triage

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/logtriage/logtriage/detectors"
)

// feed runs the analyzer over plain lines (no detectors): line i+1 at its offset.
func feed(opt AnalyzeOptions, lines []string, findings map[int][]detectors.Finding) *Analysis {
	z := newAnalyzer(opt)
	var off int64
	for i, l := range lines {
		z.observe(i+1, off, []byte(l), findings[i+1])
		off += int64(len(l)) + 1
	}
	return z.finish()
}

// syntheticLog is a service log: a startup, steady info traffic of a few
// templates, a database error every 997 lines, one Java stack trace, a
// shutdown line.
func syntheticLog(n int) []string {
	lines := []string{"2024-05-01 10:00:00,000 INFO [main] app.Server: starting version 1.2.3"}
	for i := 1; i < n-1; i++ {
		ts := fmt.Sprintf("2024-05-01 10:%02d:%02d,%03d", i/60000%60, i/1000%60, i%1000)
		switch {
		case i == n/2:
			lines = append(lines,
				ts+" ERROR [worker-3] app.Orders: unhandled exception",
				"java.lang.IllegalStateException: order 42 in bad state",
				"\tat app.Orders.place(Orders.java:88)",
				"\tat app.Http.handle(Http.java:12)",
				"Caused by: java.sql.SQLException: deadlock detected")
		case i%997 == 0:
			lines = append(lines, fmt.Sprintf("%s ERROR [pool-%d] app.Db: query timeout after %dms on orders", ts, i%7, 3000+i%100))
		case i%501 == 0:
			lines = append(lines, fmt.Sprintf("%s WARN [pool-%d] app.Db: slow query %dms", ts, i%7, 900+i%100))
		default:
			lines = append(lines, fmt.Sprintf("%s INFO [http-%d] app.Http: GET /api/items/%d 200 %dms", ts, i%16, i, i%50))
		}
	}
	return append(lines, "2024-05-01 11:00:00,000 INFO [main] app.Server: shutdown complete")
}

func TestExcerptIsFlatInInputSize(t *testing.T) {
	opt := AnalyzeOptions{ExcerptTokens: 600}
	small := feed(opt, syntheticLog(2_000), nil)
	n := 200_000
	if testing.Short() {
		n = 50_000
	}
	big := feed(opt, syntheticLog(n), nil)
	for _, a := range []*Analysis{small, big} {
		if a.ExcerptTokens > opt.ExcerptTokens {
			t.Fatalf("excerpt of %d lines costs %d tokens; budget %d", a.Lines, a.ExcerptTokens, opt.ExcerptTokens)
		}
		text := strings.Join(a.Excerpt, "\n")
		for _, want := range []string{"starting version", "shutdown complete", "unhandled exception", "at app.Orders.place", "Caused by:", "query timeout", "slow query"} {
			if !strings.Contains(text, want) {
				t.Errorf("excerpt of %d lines lacks %q:\n%s", a.Lines, want, text)
			}
		}
	}
	if big.ExcerptTokens > 2*small.ExcerptTokens+100 {
		t.Errorf("excerpt grows with input: %d tokens for %d lines vs %d for %d", big.ExcerptTokens, big.Lines, small.ExcerptTokens, small.Lines)
	}
	if got, want := big.LevelCounts[LevelError], (n-2)/997+2; got != want { // + the exception line and its unleveled message
		t.Errorf("error count = %d; want exact %d", got, want)
	}
}

func TestExcerptLinesAreExactAndDeterministic(t *testing.T) {
	lines := syntheticLog(5_000)
	a := feed(AnalyzeOptions{ExcerptTokens: 400}, lines, nil)
	b := feed(AnalyzeOptions{ExcerptTokens: 400}, lines, nil)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two passes over the same log differ")
	}
	if len(a.Excerpt) != len(a.ExcerptLines) || len(a.Excerpt) == 0 {
		t.Fatalf("excerpt %d lines, numbers %d", len(a.Excerpt), len(a.ExcerptLines))
	}
	for i, l := range a.Excerpt {
		if want := lines[a.ExcerptLines[i]-1]; l != want {
			t.Errorf("excerpt line %d = %q; log line %d is %q", i, l, a.ExcerptLines[i], want)
		}
		if i > 0 && a.ExcerptLines[i] <= a.ExcerptLines[i-1] {
			t.Errorf("excerpt out of log order at %d", i)
		}
	}
}

func TestExcerptPrefersErrorsOverTrafficWhenTight(t *testing.T) {
	var lines []string
	for i := 0; i < 300; i++ {
		lines = append(lines, fmt.Sprintf("INFO template%c number %d", 'a'+i%26, i))
	}
	lines = append(lines, "ERROR the one that matters")
	a := feed(AnalyzeOptions{ExcerptTokens: 40}, lines, nil)
	if !slices.Contains(a.Excerpt, "ERROR the one that matters") {
		t.Fatalf("tight budget dropped the error: %q", a.Excerpt)
	}
}

func TestHugeLineIsCut(t *testing.T) {
	huge := "ERROR " + strings.Repeat("x", 10<<20)
	a := feed(AnalyzeOptions{}, []string{"INFO start", huge, "INFO end"}, nil)
	if a.Lines != 3 || a.LevelCounts[LevelError] != 1 {
		t.Fatalf("lines %d levels %v", a.Lines, a.LevelCounts)
	}
	for _, l := range a.Excerpt {
		if len(l) > 2000 {
			t.Fatalf("excerpt holds a %d-byte line", len(l))
		}
	}
	if a.ExcerptTokens > 3000 {
		t.Fatalf("excerpt tokens %d", a.ExcerptTokens)
	}
}

func TestTemplateCap(t *testing.T) {
	var lines []string
	for i := 0; i < 500; i++ {
		lines = append(lines, "INFO unique "+strings.Repeat(string(rune('a'+i%26)), 1+i/26))
	}
	a := feed(AnalyzeOptions{MaxTemplates: 100}, lines, nil)
	if len(a.Templates) != 100 || a.UntrackedLines != 400 {
		t.Fatalf("templates %d untracked %d; want 100 and 400", len(a.Templates), a.UntrackedLines)
	}
}

func TestFindingAggregation(t *testing.T) {
	var lines []string
	findings := map[int][]detectors.Finding{}
	for i := 1; i <= 100; i++ {
		lines = append(lines, fmt.Sprintf("INFO mail to [EMAIL:%08x]", i%30))
		findings[i] = []detectors.Finding{{Type: detectors.TypeEmail, Category: detectors.CategoryPII, Line: i, Start: 1, End: 5, Fingerprint: fmt.Sprintf("fp%02d", i%30)}}
	}
	lines = append(lines, "ERROR key [AWS_ACCESS_KEY_ID:1]")
	findings[101] = []detectors.Finding{{Type: detectors.TypeAWSAccessKeyID, Category: detectors.CategorySecret, Line: 101, Fingerprint: "k"}}
	a := feed(AnalyzeOptions{MaxLocations: 5, MaxFingerprints: 10, FileName: "up.log"}, lines, findings)
	if len(a.Findings) != 2 || a.Findings[0].Type != detectors.TypeAWSAccessKeyID {
		t.Fatalf("findings = %+v; want the secret first", a.Findings)
	}
	email := a.Findings[1]
	if email.Count != 100 || len(email.Locations) != 5 || len(email.Fingerprints) != 10 || email.Distinct != 30 {
		t.Fatalf("email summary count %d locations %d fingerprints %d distinct %d; want 100, 5, 10, 30", email.Count, len(email.Locations), len(email.Fingerprints), email.Distinct)
	}
	if email.Locations[0].File != "up.log" || email.Locations[0].Line != 1 {
		t.Fatalf("location = %+v", email.Locations[0])
	}
}

type fakeMembers []Member

func (f fakeMembers) MemberAt(off int64) (Member, bool) {
	for i := len(f) - 1; i >= 0; i-- {
		if f[i].HeaderOffset <= off {
			return f[i], true
		}
	}
	return Member{}, false
}

func TestMembersMapFindingsAndSkipHeaders(t *testing.T) {
	lines := []string{"==> a.log <==", "INFO one", "==> dir/b.log <==", "INFO x", "ERROR mail [EMAIL:1]"}
	// offsets: 0, 14, 23, 41, 48
	members := fakeMembers{{Name: "a.log", HeaderOffset: 0, Offset: 14, FirstLine: 2}, {Name: "dir/b.log", HeaderOffset: 23, Offset: 41, FirstLine: 4}}
	findings := map[int][]detectors.Finding{5: {{Type: detectors.TypeEmail, Category: detectors.CategoryPII, Line: 5, Start: 59, End: 69, Fingerprint: "f"}}}
	a := feed(AnalyzeOptions{Members: members}, lines, findings)
	if a.Lines != 3 {
		t.Fatalf("Lines = %d; want 3 (headers are not log lines)", a.Lines)
	}
	loc := a.Findings[0].Locations[0]
	if loc != (Location{File: "dir/b.log", Line: 2, Start: 18, End: 28}) {
		t.Fatalf("location = %+v; want member-relative dir/b.log:2 [18,28)", loc)
	}
	for _, l := range a.Excerpt {
		if strings.HasPrefix(l, "==>") {
			t.Fatalf("member header in excerpt: %q", a.Excerpt)
		}
	}
}

func TestSignatureIgnoresVariables(t *testing.T) {
	mk := func(day, id int) []string {
		return []string{
			fmt.Sprintf("2024-05-%02d 10:00:00 INFO start", day),
			fmt.Sprintf("2024-05-%02d 10:00:01 ERROR db: connection %d refused by 10.0.0.%d", day, id, id),
			fmt.Sprintf("2024-05-%02d 10:00:02 ERROR java.lang.OutOfMemoryError: heap %d", day, id),
		}
	}
	a := feed(AnalyzeOptions{}, mk(1, 7), nil)
	b := feed(AnalyzeOptions{}, mk(9, 123), nil)
	sa, sb := Signature(a.Templates, a.Signals), Signature(b.Templates, b.Signals)
	if sa != sb || sa == "" {
		t.Fatalf("signatures differ:\n%s\n--\n%s", sa, sb)
	}
	if !strings.Contains(sa, "signal oom") || !strings.Contains(sa, "connection <*> refused") || strings.Contains(sa, "2024") {
		t.Fatalf("signature = %q", sa)
	}
}

// A very long line arrives in Partial chunks: it is one line, judged once,
// and the findings of every chunk count.
func TestPartialChunksAreOneLine(t *testing.T) {
	z := newAnalyzer(AnalyzeOptions{FileName: "x.log"})
	email := func(line int, start int64) []detectors.Finding {
		return []detectors.Finding{{Type: detectors.TypeEmail, Category: detectors.CategoryPII, Line: line, Start: start, End: start + 5, Fingerprint: fmt.Sprint(start)}}
	}
	z.line(detectors.RedactedLine{Number: 1, Offset: 0, Text: []byte("INFO start")})
	chunk := strings.Repeat("y", 40<<10)
	z.line(detectors.RedactedLine{Number: 2, Offset: 11, Text: []byte("ERROR huge " + chunk), Findings: email(2, 20), Partial: true})
	z.line(detectors.RedactedLine{Number: 2, Offset: 11 + 40<<10, Text: []byte(chunk), Findings: email(2, 50<<10), Partial: true})
	z.line(detectors.RedactedLine{Number: 2, Offset: 11 + 80<<10, Text: []byte(chunk + " end"), Findings: email(2, 90<<10)})
	z.line(detectors.RedactedLine{Number: 3, Offset: 11 + 120<<10, Text: []byte("INFO done")})
	a := z.finish()
	if a.Lines != 3 || a.LevelCounts[LevelError] != 1 {
		t.Fatalf("lines %d levels %v; want 3 lines, 1 error", a.Lines, a.LevelCounts)
	}
	if len(a.Findings) != 1 || a.Findings[0].Count != 3 || a.Findings[0].Locations[0].Line != 2 {
		t.Fatalf("findings %+v; want 3 emails on line 2", a.Findings)
	}
	for _, l := range a.Excerpt {
		if len(l) > 2000 {
			t.Fatalf("a %d-byte excerpt line", len(l))
		}
	}
}

// Every excerpt line, cut or not, maps to the whole log line behind it when
// that is short enough to be a key line: as an error's own line, as context
// before it, in the tail, and joined from Partial chunks.
func TestWholeLineBehindCutExcerptLines(t *testing.T) {
	opt := AnalyzeOptions{MaxExcerptLineBytes: 40, MaxKeyLineBytes: 200}
	pad := func(prefix string, n int) string { return prefix + strings.Repeat("z", n-len(prefix)) }
	lines := []string{
		"INFO start", "INFO head 2", "INFO head 3", // the head
		pad("INFO context before the error ", 120), // cut, kept whole
		pad("ERROR the failure itself ", 150),      // cut, kept whole
		pad("ERROR far too long to keep ", 500),    // cut, too long
		"INFO short",
		pad("INFO last line ", 90), // tail
	}
	a := feed(opt, lines, nil)
	if len(a.Excerpt) != len(lines) {
		t.Fatalf("excerpt %q", a.Excerpt)
	}
	for i, l := range a.Excerpt {
		want := lines[a.ExcerptLines[i]-1]
		whole, ok := a.WholeLine(i)
		switch {
		case len(want) > opt.MaxKeyLineBytes:
			if ok || l == want {
				t.Errorf("line %d: whole %v, excerpt %q; want cut and no whole line", i, ok, l)
			}
		case !ok || whole != want:
			t.Errorf("line %d: whole %q (%v); want %q", i, whole, ok, want)
		case len(want) > opt.MaxExcerptLineBytes && l == want:
			t.Errorf("line %d not cut in the excerpt", i)
		}
	}
	keys := a.WholeKeyLines([]string{a.Excerpt[4], a.Excerpt[5], a.Excerpt[4], "not a line", a.Excerpt[6]})
	if want := []string{lines[4], lines[6]}; !slices.Equal(keys, want) {
		t.Errorf("WholeKeyLines = %q; want %q", keys, want)
	}

	// A line joined from chunks past maxJoinedLineBytes is never whole.
	z := newAnalyzer(AnalyzeOptions{MaxKeyLineBytes: 1 << 20})
	chunk := "ERROR " + strings.Repeat("y", 40<<10)
	z.line(detectors.RedactedLine{Number: 1, Text: []byte(chunk), Partial: true})
	z.line(detectors.RedactedLine{Number: 1, Offset: int64(len(chunk)), Text: []byte(chunk)})
	if a := z.finish(); len(a.Excerpt) != 1 {
		t.Fatalf("excerpt %d lines", len(a.Excerpt))
	} else if whole, ok := a.WholeLine(0); ok {
		t.Errorf("a line longer than the join cap has a whole text of %d bytes", len(whole))
	}
}

// FuzzWholeKeyLines: whatever the log, every key line mapped from the
// excerpt is an exact line of it, and a cut excerpt line is the start of
// its whole line.
func FuzzWholeKeyLines(f *testing.F) {
	f.Add("INFO a\nERROR " + strings.Repeat("x", 40) + "\r\nWARN b\n" + strings.Repeat("y", 200))
	f.Add("ERROR short\n\tat frame\n\tat " + strings.Repeat("z", 30) + "\nCaused by: boom")
	f.Fuzz(func(t *testing.T, log string) {
		lines := strings.Split(log, "\n")
		a := feed(AnalyzeOptions{MaxExcerptLineBytes: 16, MaxKeyLineBytes: 64, ExcerptTokens: 200}, lines, nil)
		exact := map[string]bool{}
		for _, l := range lines {
			exact[strings.TrimSuffix(l, "\r")] = true
		}
		for _, k := range a.WholeKeyLines(a.Excerpt) {
			if !exact[k] {
				t.Fatalf("key line %q is not a line of the log", k)
			}
		}
		for i, l := range a.Excerpt {
			whole, ok := a.WholeLine(i)
			if _, cut := a.ExcerptCut[i]; cut && ok && !strings.HasPrefix(whole, strings.TrimSuffix(l, cutMark)) {
				t.Fatalf("excerpt line %q is not the start of %q", l, whole)
			}
		}
	})
}
