package openaitest

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"

	openai "github.com/sashabaranov/go-openai"
	"github.com/sashabaranov/go-openai/jsonschema"

	"github.com/logtriage/logtriage/prompts"
)

// Entity is one item of a pii answer: the 1-based line number printed in
// the prompt, the text and its type.
type Entity struct {
	Line int    `json:"line"`
	Text string `json:"text"`
	Type string `json:"type"`
}

// PIIEntities answers a pii request like a model that knows exactly the
// entities in known (text -> type): every known text found in a fenced
// line ("N: text") is reported once per line, with that line's number.
// It fails the test when the request has no numbered fence or its answer
// does not validate against the request's schema.
func PIIEntities(known map[string]string) Behaviour {
	return func(c *Call) Response {
		lines, schema, err := piiRequest(c)
		if err != nil {
			c.T.Errorf("openaitest: %v", err)
			return Error(http.StatusBadRequest, "invalid_request_error", err.Error())(c)
		}
		texts := make([]string, 0, len(known))
		for text := range known {
			texts = append(texts, text)
		}
		sort.Strings(texts)
		entities := []Entity{}
		for i, l := range lines {
			for _, text := range texts {
				if strings.Contains(l, text) {
					entities = append(entities, Entity{Line: i + 1, Text: text, Type: known[text]})
				}
			}
		}
		content, _ := json.Marshal(map[string]any{"entities": entities})
		var decoded any
		_ = json.Unmarshal(content, &decoded)
		if !jsonschema.Validate(schema, decoded) {
			c.T.Errorf("openaitest: the pii answer %s does not validate against the request's schema", content)
		}
		return Completion(c, string(content), openai.FinishReasonStop)
	}
}

// PIILines returns the fenced lines of a pii request, without their
// numbers: what the model was asked about.
func PIILines(r Request) ([]string, bool) {
	fenced, _, ok := Excerpt(r.Message(openai.ChatMessageRoleUser))
	if !ok {
		return nil, false
	}
	lines := make([]string, len(fenced))
	for i, f := range fenced {
		n, text, ok := prompts.CutLineNumber(f)
		if !ok || n != i+1 {
			return nil, false
		}
		lines[i] = text
	}
	return lines, true
}

func piiRequest(c *Call) ([]string, jsonschema.Definition, error) {
	if c.Chat == nil {
		return nil, jsonschema.Definition{}, errors.New("not a chat request")
	}
	schema, err := Schema(c.Chat)
	if err != nil {
		return nil, schema, err
	}
	if _, ok := schema.Properties["entities"]; !ok {
		return nil, schema, errors.New("pii request schema has no entities property")
	}
	lines, ok := PIILines(c.Request)
	if !ok {
		return nil, schema, errors.New("no numbered <<<LOG-id>>> fence in the pii request")
	}
	return lines, schema, nil
}

// BySchema answers each chat request with the behaviour registered for
// the name of its response_format.json_schema, so one server can play the
// model for several request kinds at once ("pii_entities",
// "triage_classification"); other names fail the test.
func BySchema(by map[string]Behaviour) Behaviour {
	return func(c *Call) Response {
		name := ""
		if c.Chat != nil && c.Chat.ResponseFormat != nil && c.Chat.ResponseFormat.JSONSchema != nil {
			name = c.Chat.ResponseFormat.JSONSchema.Name
		}
		b, ok := by[name]
		if !ok {
			c.T.Errorf("openaitest: no behaviour for schema %q", name)
			return Error(http.StatusBadRequest, "invalid_request_error", "unexpected schema")(c)
		}
		return b(c)
	}
}
