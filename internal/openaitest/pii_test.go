package openaitest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	openai "github.com/sashabaranov/go-openai"
)

const piiUser = "Find them.\n<<<LOG-abc123>>>\n1: refund for Maria Gonzalez\n2: nothing here\n3: Maria Gonzalez at 12 Main St\n<<<END-LOG-abc123>>>\nAnswer."

func piiChat(user string) map[string]any {
	chat := goodChat()
	chat["messages"] = []any{
		map[string]any{"role": "system", "content": "You find names."},
		map[string]any{"role": "user", "content": user},
	}
	entity := map[string]any{
		"type": "object", "additionalProperties": false, "required": []string{"line", "text", "type"},
		"properties": map[string]any{
			"line": map[string]any{"type": "integer"},
			"text": map[string]any{"type": "string"},
			"type": map[string]any{"type": "string", "enum": []string{"person_name", "street_address"}},
		},
	}
	chat["response_format"] = map[string]any{"type": "json_schema", "json_schema": map[string]any{
		"name": "pii_entities", "strict": true,
		"schema": map[string]any{
			"type": "object", "additionalProperties": false, "required": []string{"entities"},
			"properties": map[string]any{"entities": map[string]any{"type": "array", "items": entity}},
		},
	}}
	return chat
}

func TestPIIEntities(t *testing.T) {
	srv := New(t, Options{Chat: BySchema(map[string]Behaviour{
		"pii_entities": PIIEntities(map[string]string{"Maria Gonzalez": "person_name", "12 Main St": "street_address", "Nobody": "person_name"}),
		"answer":       Answer(),
	})})
	status, _, body := post(t, srv.URL+"/chat/completions", piiChat(piiUser), nil)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var resp openai.ChatCompletionResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	var got struct{ Entities []Entity }
	if err := json.Unmarshal([]byte(resp.Choices[0].Message.Content), &got); err != nil {
		t.Fatal(err)
	}
	want := []Entity{{1, "Maria Gonzalez", "person_name"}, {3, "12 Main St", "street_address"}, {3, "Maria Gonzalez", "person_name"}}
	if len(got.Entities) != len(want) {
		t.Fatalf("entities %+v, want %+v", got.Entities, want)
	}
	for i := range want {
		if got.Entities[i] != want[i] {
			t.Errorf("entity %d = %+v, want %+v", i, got.Entities[i], want[i])
		}
	}
	lines, ok := PIILines(srv.Requests()[0])
	if !ok || strings.Join(lines, "|") != "refund for Maria Gonzalez|nothing here|Maria Gonzalez at 12 Main St" {
		t.Errorf("PIILines = %q, %v", lines, ok)
	}

	// The other schema goes to its own behaviour.
	if status, _, body := post(t, srv.URL+"/chat/completions", goodChat(), nil); status != http.StatusOK || !strings.Contains(string(body), "severity") {
		t.Errorf("classify request: %d %s", status, body)
	}
}

func TestPIIEntitiesRejects(t *testing.T) {
	for name, chat := range map[string]map[string]any{
		"unnumbered lines": piiChat(userMessage),
		"unknown schema": func() map[string]any {
			c := piiChat(piiUser)
			c["response_format"].(map[string]any)["json_schema"].(map[string]any)["name"] = "other"
			return c
		}(),
		"no entities schema": func() map[string]any {
			c := goodChat()
			c["response_format"].(map[string]any)["json_schema"].(map[string]any)["name"] = "pii_entities"
			return c
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			s := &spy{TB: t}
			srv := New(s, Options{Chat: BySchema(map[string]Behaviour{"pii_entities": PIIEntities(nil)})})
			if status, _, _ := post(t, srv.URL+"/chat/completions", chat, nil); status != http.StatusBadRequest {
				t.Errorf("status %d, want 400", status)
			}
			if s.errors() == "" {
				t.Error("the server did not flag the request")
			}
		})
	}
}
