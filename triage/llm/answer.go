package llm

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"github.com/logtriage/logtriage/triage"
)

// Caps on what an answer may carry into a case. Longer text is cut at a
// rune boundary rather than rejected: a verbose answer is still useful.
const (
	maxSummary    = 600
	maxRootCause  = 1000
	maxKeyLines   = 10
	maxReproSteps = 8
	maxStep       = 300
	maxReasons    = 6
	maxReason     = 300
)

// notes count what was dropped from an accepted answer.
type notes struct {
	droppedKeyLines int
	droppedSkills   int
}

// judge turns a completion into a Classification, or says why it cannot.
// Severity and category outside the closed sets reject the answer (they
// decide routing); skills outside the set and key lines that are not
// excerpt lines are dropped and noted, since the rest stays trustworthy.
func (c *Classifier) judge(resp openai.ChatCompletionResponse, in triage.ClassifyInput) (triage.Classification, notes, error) {
	content, err := c.api().content(resp)
	if err != nil {
		return triage.Classification{}, notes{}, err
	}
	return validate(content, in)
}

// content is the answer text of a completion, or why there is none to use.
func (c endpoint) content(resp openai.ChatCompletionResponse) (string, error) {
	if len(resp.Choices) == 0 {
		return "", fmt.Errorf("llm: %w: no choices", ErrBadResponse)
	}
	choice := resp.Choices[0]
	switch choice.FinishReason {
	case openai.FinishReasonStop, "":
	case openai.FinishReasonLength:
		return "", fmt.Errorf("llm: %w at max_tokens=%d", ErrTruncated, c.opts.MaxTokens)
	case openai.FinishReasonContentFilter:
		return "", fmt.Errorf("llm: %w", ErrFiltered)
	default:
		return "", fmt.Errorf("llm: %w: unexpected finish_reason %s", ErrBadResponse, safeToken(string(choice.FinishReason)))
	}
	if choice.Message.Refusal != "" {
		return "", fmt.Errorf("llm: %w", ErrRefused)
	}
	return choice.Message.Content, nil
}

// validate parses and checks an answer against the request's closed sets.
func validate(content string, in triage.ClassifyInput) (triage.Classification, notes, error) {
	var n notes
	var a answer
	if err := json.Unmarshal([]byte(unfence(content)), &a); err != nil {
		return triage.Classification{}, n, fmt.Errorf("llm: %w: not a JSON object of the schema", ErrBadAnswer)
	}
	if !contains(triage.SeverityLabels, a.Severity) {
		return triage.Classification{}, n, fmt.Errorf("llm: %w: severity not in the allowed set", ErrBadAnswer)
	}
	allowed := false
	for _, cat := range in.Categories {
		allowed = allowed || cat.Name == a.Category
	}
	if !allowed {
		return triage.Classification{}, n, fmt.Errorf("llm: %w: category not in the configured set", ErrBadAnswer)
	}
	out := triage.Classification{
		Severity:  a.Severity,
		Category:  a.Category,
		Summary:   clip(a.Summary, maxSummary),
		RootCause: clip(a.RootCause, maxRootCause),
	}
	if out.Summary == "" {
		return triage.Classification{}, n, fmt.Errorf("llm: %w: empty summary", ErrBadAnswer)
	}

	out.Skills = []string{}
	for _, s := range a.Skills {
		switch {
		case !contains(in.Skills, s):
			n.droppedSkills++
		case !contains(out.Skills, s):
			out.Skills = append(out.Skills, s)
		}
	}

	out.KeyLines = []string{}
	for i, l := range a.KeyLines {
		if i == 4*maxKeyLines { // a runaway list: the rest is not worth scanning for
			n.droppedKeyLines += len(a.KeyLines) - i
			break
		}
		line, ok := excerptLine(in.Excerpt, l)
		if !ok {
			n.droppedKeyLines++
			continue
		}
		if !contains(out.KeyLines, line) && len(out.KeyLines) < maxKeyLines {
			out.KeyLines = append(out.KeyLines, line)
		}
	}

	out.ReproSteps = clipAll(a.ReproSteps, maxReproSteps, maxStep)
	out.Reasons = clipAll(a.Reasons, maxReasons, maxReason)
	if n.droppedKeyLines > 0 {
		out.Reasons = append(out.Reasons, fmt.Sprintf("llm: dropped %d key line(s) not found in the excerpt", n.droppedKeyLines))
	}
	if n.droppedSkills > 0 {
		out.Reasons = append(out.Reasons, fmt.Sprintf("llm: dropped %d skill(s) outside the configured set", n.droppedSkills))
	}
	return out, n, nil
}

// unfence removes a ```json fence some servers wrap around the object when
// they ignore response_format.
func unfence(s string) string {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "```") {
		return s
	}
	s = strings.TrimPrefix(s, "```")
	s = strings.TrimPrefix(s, "json")
	return strings.TrimSuffix(strings.TrimSpace(s), "```")
}

// excerptLine finds the excerpt line a model meant: an exact match, else a
// match up to surrounding space (models drop trailing blanks and "\r") and
// invalid UTF-8 (the request's JSON carried it as U+FFFD). Either way the
// result is the excerpt's own line. A scan beats building an index: answers
// hold a handful of key lines.
func excerptLine(excerpt []string, l string) (string, bool) {
	for _, e := range excerpt {
		if e == l {
			return e, true
		}
	}
	t := loose(l)
	if t == "" {
		return "", false
	}
	for _, e := range excerpt {
		if loose(e) == t {
			return e, true
		}
	}
	return "", false
}

func loose(s string) string {
	return strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
}

// clip trims space and cuts s to at most n runes, marking the cut.
func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := 0
	for i := 0; i < n-1; i++ {
		_, size := utf8.DecodeRuneInString(s[cut:])
		cut += size
	}
	return strings.TrimSpace(s[:cut]) + "…"
}

// clipAll keeps at most n non-empty items, each clipped to width runes.
func clipAll(items []string, n, width int) []string {
	out := []string{}
	for _, it := range items {
		if it = clip(it, width); it != "" && len(out) < n {
			out = append(out, it)
		}
	}
	return out
}

func contains(set []string, v string) bool {
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}
