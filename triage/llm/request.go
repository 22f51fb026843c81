package llm

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"sort"
	"strings"

	openai "github.com/sashabaranov/go-openai"
	"github.com/sashabaranov/go-openai/jsonschema"

	"github.com/logtriage/logtriage/prompts"
	"github.com/logtriage/logtriage/triage"
)

// answer is what the model must return. The JSON schema sent with every
// request is generated from this type (every field required, no extras, as
// strict mode wants), then narrowed with the request's closed sets.
type answer struct {
	Severity   string   `json:"severity" description:"How severe the problem in the log is"`
	Category   string   `json:"category" description:"The one category that fits best"`
	Skills     []string `json:"skills" description:"Skills an agent needs for this case"`
	Summary    string   `json:"summary" description:"At most 3 sentences: what broke, where, since when"`
	RootCause  string   `json:"root_cause" description:"Root-cause hypothesis, or unknown"`
	KeyLines   []string `json:"key_lines" description:"Lines copied exactly from the excerpt"`
	ReproSteps []string `json:"repro_steps" description:"Short steps to reproduce, possibly none"`
	Reasons    []string `json:"reasons" description:"Short reasons for the severity and category"`
}

const schemaName = "triage_classification"

func answerSchema() (jsonschema.Definition, error) {
	def, err := jsonschema.GenerateSchemaForType(answer{})
	if err != nil {
		return jsonschema.Definition{}, fmt.Errorf("answer schema: %w", err)
	}
	def.Defs = nil // answer has no nested types; strict servers dislike an empty $defs
	for _, name := range []string{"severity", "category", "skills"} {
		if _, ok := def.Properties[name]; !ok {
			return jsonschema.Definition{}, fmt.Errorf("answer schema has no %q property", name)
		}
	}
	return *def, nil
}

// schemaFor narrows the base schema to the closed sets of one request. The
// base is never modified: its maps are copied before the enums go in.
func (c *Classifier) schemaFor(in triage.ClassifyInput) *jsonschema.Definition {
	def := c.schema
	def.Properties = maps.Clone(c.schema.Properties)

	severity := def.Properties["severity"]
	severity.Enum = triage.SeverityLabels
	def.Properties["severity"] = severity

	category := def.Properties["category"]
	category.Enum = make([]string, len(in.Categories))
	for i, cat := range in.Categories {
		category.Enum[i] = cat.Name
	}
	def.Properties["category"] = category

	if len(in.Skills) > 0 {
		skills := def.Properties["skills"]
		items := *skills.Items
		items.Enum = in.Skills
		skills.Items = &items
		def.Properties["skills"] = skills
	}
	return &def
}

// buildRequest renders the prompt and assembles the chat completion request.
func (c *Classifier) buildRequest(in triage.ClassifyInput) (openai.ChatCompletionRequest, error) {
	if len(in.Categories) == 0 {
		return openai.ChatCompletionRequest{}, errors.New("llm: no categories configured")
	}
	system, user, err := c.prompt.Render(promptData(in))
	if err != nil {
		return openai.ChatCompletionRequest{}, fmt.Errorf("llm: %w", err)
	}
	return c.api().request(system, user, schemaName, c.schemaFor(in)), nil
}

// request assembles a chat completion asking for a strict JSON schema
// answer to the system and user messages.
func (c endpoint) request(system, user, name string, schema *jsonschema.Definition) openai.ChatCompletionRequest {
	seed := c.opts.Seed
	req := openai.ChatCompletionRequest{
		Model: c.opts.Model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: system},
			{Role: openai.ChatMessageRoleUser, Content: user},
		},
		MaxTokens: c.opts.MaxTokens,
		// go-openai drops a zero temperature (omitempty), which would leave
		// the server's default of 1; the smallest float32 is 0 to every
		// sampler and survives encoding.
		Temperature: math.SmallestNonzeroFloat32,
		Seed:        &seed,
		ResponseFormat: &openai.ChatCompletionResponseFormat{
			Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{
				Name:   name,
				Schema: schema,
				Strict: true,
			},
		},
	}
	if reasoningModel(c.opts.Model) {
		// OpenAI's reasoning models take no sampling settings and count
		// their hidden reasoning against max_completion_tokens.
		req.MaxCompletionTokens, req.MaxTokens, req.Temperature = req.MaxTokens, 0, 0
	}
	return req
}

// reasoningModel reports OpenAI's reasoning model families by name, the
// ones go-openai and the API refuse max_tokens and temperature for.
func reasoningModel(model string) bool {
	for _, p := range []string{"o1", "o3", "o4", "gpt-5", "gpt-6"} {
		if strings.HasPrefix(model, p) {
			return true
		}
	}
	return false
}

// maxTemplates bounds the templates shown; the excerpt carries the detail.
const maxTemplates = 20

// maxExampleKeyLines bounds each resolved case's key lines in the prompt.
const maxExampleKeyLines = 5

// promptData keeps only what the prompt may show: the redacted excerpt,
// counts, and the closed sets. Finding locations and fingerprints stay out.
func promptData(in triage.ClassifyInput) prompts.ClassifyData {
	d := prompts.ClassifyData{
		FileName:    in.FileName,
		Excerpt:     in.Excerpt,
		TotalLines:  in.TotalLines,
		StackTraces: in.StackTraces,
		FirstTime:   in.FirstTime,
		LastTime:    in.LastTime,
		Severities:  triage.SeverityLabels,
		Skills:      in.Skills,
	}
	for _, sig := range in.Signals {
		d.Signals = append(d.Signals, prompts.SignalCount{Name: sig.Name, Count: sig.Count})
	}
	for _, t := range in.Templates[:min(len(in.Templates), maxTemplates)] {
		d.Templates = append(d.Templates, prompts.TemplateCount{Template: t.Template, Level: t.Level, Count: t.Count})
	}
	for level, n := range in.LevelCounts {
		d.Levels = append(d.Levels, prompts.LevelCount{Level: level, Count: n})
	}
	sort.Slice(d.Levels, func(i, j int) bool { return d.Levels[i].Level < d.Levels[j].Level })
	counts := map[string]int{}
	for _, f := range in.Findings {
		counts[f.Type] += f.Count
	}
	for typ, n := range counts {
		d.Findings = append(d.Findings, prompts.FindingCount{Type: typ, Count: n})
	}
	sort.Slice(d.Findings, func(i, j int) bool { return d.Findings[i].Type < d.Findings[j].Type })
	// Resolved cases: their redacted summary and key lines and the labels
	// agents gave them; the pipeline passes only the case's own tenant's.
	for _, e := range in.Examples {
		d.Examples = append(d.Examples, prompts.Example{Similarity: e.Similarity, Severity: e.Severity, Category: e.Category,
			Summary: e.Summary, KeyLines: e.KeyLines[:min(len(e.KeyLines), maxExampleKeyLines)]})
	}
	d.Categories = make([]prompts.Category, len(in.Categories))
	for i, cat := range in.Categories {
		d.Categories[i] = prompts.Category{Name: cat.Name, Description: cat.Description}
	}
	return d
}
