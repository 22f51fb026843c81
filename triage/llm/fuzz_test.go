package llm

import (
	"testing"
	"unicode/utf8"

	"github.com/logtriage/logtriage/triage"
)

// FuzzValidate feeds arbitrary model output to the answer check: it must
// never panic, and whatever it accepts must stay inside the closed sets,
// the excerpt and the caps.
func FuzzValidate(f *testing.F) {
	in := testInput()
	f.Add(`{"severity":"high","category":"database","skills":["databases","x"],"summary":"s","root_cause":"r","key_lines":["` + in.Excerpt[3] + `","nope"],"repro_steps":["a"],"reasons":["b"]}`)
	f.Add("```json\n{\"severity\":\"info\",\"category\":\"network\",\"summary\":\"ok\"}\n```")
	f.Add(`{"severity":"high","category":"admin","summary":"s"}`)
	f.Add(`{"severity":null,"key_lines":[1,2]}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, content string) {
		got, _, err := validate(content, in)
		if err != nil {
			return
		}
		if !contains(triage.SeverityLabels, got.Severity) {
			t.Errorf("accepted severity %q", got.Severity)
		}
		ok := false
		for _, c := range in.Categories {
			ok = ok || c.Name == got.Category
		}
		if !ok {
			t.Errorf("accepted category %q", got.Category)
		}
		for _, s := range got.Skills {
			if !contains(in.Skills, s) {
				t.Errorf("accepted skill %q", s)
			}
		}
		for _, l := range got.KeyLines {
			if !contains(in.Excerpt, l) {
				t.Errorf("accepted key line %q", l)
			}
		}
		if got.Summary == "" || utf8.RuneCountInString(got.Summary) > maxSummary ||
			utf8.RuneCountInString(got.RootCause) > maxRootCause || len(got.KeyLines) > maxKeyLines ||
			len(got.ReproSteps) > maxReproSteps {
			t.Errorf("caps broken: %+v", got)
		}
	})
}
