package triage

import "github.com/logtriage/logtriage/router"

// AnalyzeLines runs the streaming analysis over lines that are already
// redacted (no detectors run): line i+1 at its byte offset. Tools that
// judge redacted text (the rules' tests, training on exported datasets)
// use it; uploads go through Pipeline.Run.
func AnalyzeLines(opt AnalyzeOptions, lines []string) *Analysis {
	z := newAnalyzer(opt)
	var off int64
	for i, l := range lines {
		z.observe(i+1, off, []byte(l), nil)
		off += int64(len(l)) + 1
	}
	return z.finish()
}

// NewClassifyInput is what a classifier is shown of an analysis: the
// excerpt, counts, the most severe templates (capped), signals and the
// router's closed sets.
func NewClassifyInput(an *Analysis, name string, r *router.Router) ClassifyInput {
	in := ClassifyInput{
		FileName:    name,
		Excerpt:     an.Excerpt,
		TotalLines:  an.Lines,
		LevelCounts: an.LevelCounts,
		Findings:    an.Findings,
		Templates:   an.Templates[:min(len(an.Templates), maxClassifyTemplates)],
		Signals:     an.Signals,
		StackTraces: an.StackTraces,
		FirstTime:   an.FirstTime,
		LastTime:    an.LastTime,
		Skills:      r.Skills(),
	}
	for _, c := range r.Categories() {
		in.Categories = append(in.Categories, CategoryOption{Name: c.Name, Description: c.Description, Skills: c.Skills})
	}
	return in
}
