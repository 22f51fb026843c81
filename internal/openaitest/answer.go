package openaitest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	openai "github.com/sashabaranov/go-openai"
	"github.com/sashabaranov/go-openai/jsonschema"
)

// Schema decodes the JSON schema a chat request asked its answer to follow.
func Schema(req *openai.ChatCompletionRequest) (jsonschema.Definition, error) {
	var def jsonschema.Definition
	if req.ResponseFormat == nil || req.ResponseFormat.JSONSchema == nil || req.ResponseFormat.JSONSchema.Schema == nil {
		return def, errors.New("no response_format.json_schema.schema")
	}
	raw, err := req.ResponseFormat.JSONSchema.Schema.MarshalJSON()
	if err != nil {
		return def, fmt.Errorf("response_format schema: %w", err)
	}
	if err := json.Unmarshal(raw, &def); err != nil {
		return def, fmt.Errorf("response_format schema is not a JSON schema: %w", err)
	}
	if def.Type != jsonschema.Object {
		return def, errors.New("response_format schema is not an object")
	}
	if def.AdditionalProperties != false {
		return def, errors.New("strict schema must set additionalProperties false")
	}
	for name := range def.Properties {
		if !contains(def.Required, name) {
			return def, fmt.Errorf("strict schema must require every property; %q is optional", name)
		}
	}
	return def, nil
}

var fenceOpen = regexp.MustCompile(`(?m)^<<<LOG-([0-9A-Za-z_-]+)>>>$`)

// Excerpt finds the fenced log excerpt in a user message:
//
//	<<<LOG-id>>>
//	line...
//	<<<END-LOG-id>>>
//
// and returns its lines and the boundary id.
func Excerpt(user string) (lines []string, boundary string, ok bool) {
	m := fenceOpen.FindStringSubmatchIndex(user)
	if m == nil {
		return nil, "", false
	}
	boundary = user[m[2]:m[3]]
	body := user[m[1]:]
	body = strings.TrimPrefix(body, "\n")
	end := strings.Index(body, "<<<END-LOG-"+boundary+">>>")
	if end < 0 {
		return nil, boundary, false
	}
	body = strings.TrimSuffix(body[:end], "\n")
	if body == "" {
		return nil, boundary, true
	}
	return strings.Split(body, "\n"), boundary, true
}

var errorWords = regexp.MustCompile(`(?i)\b(error|err|fatal|panic|exception|fail(ed|ure)?|critical|severe|refused|denied|timeout|timed out)\b`)

// Answer is the default chat behaviour: a schema-conforming answer computed
// from the request. It picks the first error-looking excerpt line as the key
// line, the first category whose name occurs in the excerpt (else the first
// allowed one), the first allowed skill, and "high" severity when an error
// line exists ("info" otherwise). It fails the test if its own answer does
// not validate against the schema the client sent.
func Answer() Behaviour {
	return AnswerWith(nil)
}

// AnswerWith is Answer with edit applied to the answer before it is sent, to
// script wrong answers (a category outside the enum, a made-up key line...).
func AnswerWith(edit func(answer map[string]any)) Behaviour {
	return func(c *Call) Response {
		answer, schema, err := defaultAnswer(c)
		if err != nil {
			c.T.Errorf("openaitest: %v", err)
			return Error(http.StatusBadRequest, "invalid_request_error", err.Error())(c)
		}
		if edit != nil {
			edit(answer)
		}
		content, err := json.Marshal(answer)
		if err != nil {
			c.T.Errorf("openaitest: encoding answer: %v", err)
		}
		if edit == nil {
			var decoded any // Validate wants the shapes encoding/json produces
			_ = json.Unmarshal(content, &decoded)
			if !jsonschema.Validate(schema, decoded) {
				c.T.Errorf("openaitest: the default answer %s does not validate against the request's schema", content)
			}
		}
		return Completion(c, string(content), openai.FinishReasonStop)
	}
}

// answerJSON is the default answer as text, for behaviours that mangle it.
func answerJSON(c *Call) string {
	answer, _, err := defaultAnswer(c)
	if err != nil {
		c.T.Errorf("openaitest: %v", err)
		return "{}"
	}
	b, _ := json.Marshal(answer)
	return string(b)
}

func defaultAnswer(c *Call) (map[string]any, jsonschema.Definition, error) {
	if c.Chat == nil {
		return nil, jsonschema.Definition{}, errors.New("not a chat request")
	}
	schema, err := Schema(c.Chat)
	if err != nil {
		return nil, schema, err
	}
	lines, _, ok := Excerpt(c.Message(openai.ChatMessageRoleUser))
	if !ok {
		return nil, schema, errors.New("no fenced <<<LOG-id>>> excerpt in the user message")
	}
	answer, _ := fill(schema, schema).(map[string]any)

	var keyLines []string
	errorLines := 0
	for _, l := range lines {
		if errorWords.MatchString(l) {
			if errorLines == 0 {
				keyLines = append(keyLines, l)
			}
			errorLines++
		}
	}
	set := func(name string, v any) {
		if _, ok := schema.Properties[name]; ok {
			answer[name] = v
		}
	}
	set("key_lines", nonNil(keyLines))
	set("severity", pick(enum(schema, "severity"), map[bool]string{true: "high", false: "info"}[errorLines > 0]))
	text := strings.ToLower(strings.Join(lines, "\n"))
	category := ""
	for _, name := range enum(schema, "category") {
		if category == "" && strings.Contains(text, strings.ToLower(name)) {
			category = name
		}
	}
	set("category", pick(enum(schema, "category"), category))
	if skills := itemEnum(schema, "skills"); len(skills) > 0 {
		set("skills", skills[:1])
	}
	set("summary", fmt.Sprintf("The excerpt has %d lines, %d of them look like errors.", len(lines), errorLines))
	set("root_cause", "unknown")
	set("reasons", []string{"openaitest default answer"})
	return answer, schema, nil
}

// fill builds the simplest value that conforms to def.
func fill(root, def jsonschema.Definition) any {
	if def.Ref != "" {
		name := strings.TrimPrefix(def.Ref, "#/$defs/")
		if d, ok := root.Defs[name]; ok {
			return fill(root, d)
		}
	}
	switch def.Type {
	case jsonschema.Object:
		m := map[string]any{}
		for name, p := range def.Properties {
			m[name] = fill(root, p)
		}
		return m
	case jsonschema.Array:
		return []any{}
	case jsonschema.String:
		if len(def.Enum) > 0 {
			return def.Enum[0]
		}
		return ""
	case jsonschema.Integer, jsonschema.Number:
		return 0
	case jsonschema.Boolean:
		return false
	}
	return nil
}

func enum(schema jsonschema.Definition, prop string) []string {
	return schema.Properties[prop].Enum
}

func itemEnum(schema jsonschema.Definition, prop string) []string {
	if items := schema.Properties[prop].Items; items != nil {
		return items.Enum
	}
	return nil
}

// pick returns want if the enum allows it, else the enum's first value.
func pick(enum []string, want string) string {
	if len(enum) == 0 || contains(enum, want) {
		return want
	}
	return enum[0]
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
