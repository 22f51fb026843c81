package openaitest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// spy is a testing.TB that records Errorf instead of failing, so the
// server's own checks can be tested.
type spy struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (s *spy) Errorf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
}

func (s *spy) Helper() {}

func (s *spy) errors() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.errs, "\n")
}

const userMessage = "Triage this.\n<<<LOG-abc123>>>\n10:00 INFO start\n10:01 ERROR disk full on /var\n10:02 ERROR again\n<<<END-LOG-abc123>>>\nAnswer."

func goodChat() map[string]any {
	return map[string]any{
		"model":       "m1",
		"temperature": 0,
		"max_tokens":  500,
		"seed":        1,
		"messages": []any{
			map[string]any{"role": "system", "content": "You triage logs."},
			map[string]any{"role": "user", "content": userMessage},
		},
		"response_format": map[string]any{
			"type": "json_schema",
			"json_schema": map[string]any{
				"name": "answer", "strict": true,
				"schema": map[string]any{
					"type": "object", "additionalProperties": false,
					"required": []string{"severity", "category", "skills", "summary", "key_lines"},
					"properties": map[string]any{
						"severity":  map[string]any{"type": "string", "enum": []string{"high", "info"}},
						"category":  map[string]any{"type": "string", "enum": []string{"network", "storage"}},
						"skills":    map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": []string{"disks"}}},
						"summary":   map[string]any{"type": "string"},
						"key_lines": map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
					},
				},
			},
		},
	}
}

func post(t *testing.T, url string, body any, header map[string]string) (int, http.Header, []byte) {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, out
}

func TestChecksRejectWhatACorrectClientWouldNotSend(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(m map[string]any)
		path   string
		header map[string]string
		want   string // "" = accepted
	}{
		{name: "good request", want: ""},
		{name: "temperature left to the default", edit: func(m map[string]any) { delete(m, "temperature") }, want: "temperature"},
		{name: "temperature 0.7", edit: func(m map[string]any) { m["temperature"] = 0.7 }, want: "temperature"},
		{name: "no model", edit: func(m map[string]any) { delete(m, "model") }, want: "no model"},
		{name: "other model", edit: func(m map[string]any) { m["model"] = "gpt-x" }, want: "model"},
		{name: "no messages", edit: func(m map[string]any) { m["messages"] = []any{} }, want: "no messages"},
		{name: "no max tokens", edit: func(m map[string]any) { delete(m, "max_tokens") }, want: "max_tokens"},
		{name: "no response_format", edit: func(m map[string]any) { delete(m, "response_format") }, want: "json_schema"},
		{name: "json_object format", edit: func(m map[string]any) {
			m["response_format"] = map[string]any{"type": "json_object"}
		}, want: "json_schema"},
		{name: "not strict", edit: func(m map[string]any) {
			m["response_format"].(map[string]any)["json_schema"].(map[string]any)["strict"] = false
		}, want: "strict"},
		{name: "optional property under strict", edit: func(m map[string]any) {
			schema := m["response_format"].(map[string]any)["json_schema"].(map[string]any)["schema"].(map[string]any)
			schema["required"] = []string{"severity"}
		}, want: "optional"},
		{name: "wrong key", header: map[string]string{"Authorization": "Bearer sk-wrong"}, want: "Authorization"},
		{name: "unknown path", path: "/v1/completions", want: "unknown path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sp := &spy{TB: t}
			srv := New(sp, Options{Model: "m1", APIKey: "sk-right"})
			body := goodChat()
			if tc.edit != nil {
				tc.edit(body)
			}
			header := map[string]string{"Authorization": "Bearer sk-right"}
			for k, v := range tc.header {
				header[k] = v
			}
			path := ChatPath
			if tc.path != "" {
				path = tc.path
			}
			status, _, _ := post(t, strings.TrimSuffix(srv.URL, "/v1")+path, body, header)
			errs := sp.errors()
			if tc.want == "" {
				if status != http.StatusOK || errs != "" {
					t.Errorf("good request: status %d, test errors %q", status, errs)
				}
				return
			}
			if status != http.StatusBadRequest || !strings.Contains(errs, tc.want) {
				t.Errorf("status %d, test errors %q; want 400 and an error about %q", status, errs, tc.want)
			}
			if len(srv.Requests()) != 1 {
				t.Errorf("bad request not recorded")
			}
		})
	}
}

func TestDefaultAnswerIsComputedFromTheRequest(t *testing.T) {
	srv := New(t, Options{})
	status, _, body := post(t, srv.URL+"/chat/completions", goodChat(), nil)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var resp openai.ChatCompletionResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Model != "m1" || resp.Usage.TotalTokens != resp.Usage.PromptTokens+resp.Usage.CompletionTokens || resp.Usage.PromptTokens == 0 {
		t.Errorf("model %q usage %+v", resp.Model, resp.Usage)
	}
	if len(resp.Choices) != 1 || resp.Choices[0].FinishReason != openai.FinishReasonStop {
		t.Fatalf("choices %+v", resp.Choices)
	}
	var answer struct {
		Severity, Category, Summary string
		Skills                      []string
		KeyLines                    []string `json:"key_lines"`
	}
	if err := json.Unmarshal([]byte(resp.Choices[0].Message.Content), &answer); err != nil {
		t.Fatal(err)
	}
	// "storage" is not in the excerpt text, so the first enum value is chosen.
	if answer.Severity != "high" || answer.Category != "network" || strings.Join(answer.Skills, ",") != "disks" ||
		strings.Join(answer.KeyLines, "|") != "10:01 ERROR disk full on /var" || answer.Summary == "" {
		t.Errorf("answer %+v", answer)
	}
}

func TestScriptRunsInOrderThenDefault(t *testing.T) {
	srv := New(t, Options{ChatScript: []Behaviour{RateLimited(1500 * time.Millisecond), ServerError()}})
	srv.EnqueueChat(Truncated())
	status, h, _ := post(t, srv.URL+"/chat/completions", goodChat(), nil)
	if status != http.StatusTooManyRequests || h.Get("retry-after-ms") != "1500" || h.Get("Retry-After") != "2" {
		t.Errorf("1st: status %d, headers %v", status, h)
	}
	if status, _, _ = post(t, srv.URL+"/chat/completions", goodChat(), nil); status != http.StatusInternalServerError {
		t.Errorf("2nd: status %d", status)
	}
	_, _, body := post(t, srv.URL+"/chat/completions", goodChat(), nil)
	var resp openai.ChatCompletionResponse
	if err := json.Unmarshal(body, &resp); err != nil || resp.Choices[0].FinishReason != openai.FinishReasonLength {
		t.Errorf("3rd: %v %s", err, body)
	}
	if status, _, _ = post(t, srv.URL+"/chat/completions", goodChat(), nil); status != http.StatusOK {
		t.Errorf("4th (default): status %d", status)
	}
	if n := len(srv.Requests()); n != 4 {
		t.Errorf("%d requests recorded", n)
	}
}

func TestExcerpt(t *testing.T) {
	tests := []struct {
		user  string
		lines []string
		ok    bool
	}{
		{userMessage, []string{"10:00 INFO start", "10:01 ERROR disk full on /var", "10:02 ERROR again"}, true},
		{"x\n<<<LOG-b1>>>\n<<<END-LOG-b1>>>\n", nil, true},
		{"mention <<<LOG-b1>>> inline\n<<<LOG-b1>>>\na\n<<<END-LOG-b1>>>", []string{"a"}, true},
		{"<<<LOG-b1>>>\na\n<<<END-LOG-b2>>>", nil, false},
		{"no fence", nil, false},
	}
	for _, tc := range tests {
		lines, _, ok := Excerpt(tc.user)
		if ok != tc.ok || strings.Join(lines, "|") != strings.Join(tc.lines, "|") {
			t.Errorf("Excerpt(%q) = %q, %v; want %q, %v", tc.user, lines, ok, tc.lines, tc.ok)
		}
	}
}

func TestEmbeddings(t *testing.T) {
	srv := New(t, Options{Model: "embed-1", Dimensions: 32})
	client := openai.NewClientWithConfig(func() openai.ClientConfig {
		cfg := openai.DefaultConfig("")
		cfg.BaseURL = srv.URL
		return cfg
	}())
	texts := []string{
		"ERROR pq: too many connections for role app",
		"ERROR pq: too many connections for role billing",
		"kernel: EXT4-fs error on device sda1",
	}
	resp, err := client.CreateEmbeddings(context.Background(), openai.EmbeddingRequest{Model: "embed-1", Input: texts})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Data) != 3 || resp.Usage.PromptTokens == 0 {
		t.Fatalf("%d vectors, usage %+v", len(resp.Data), resp.Usage)
	}
	for i, d := range resp.Data {
		if d.Index != i || len(d.Embedding) != 32 {
			t.Errorf("vector %d: index %d, %d dims", i, d.Index, len(d.Embedding))
		}
		if want := Embed(texts[i], 32); !equal(d.Embedding, want) {
			t.Errorf("vector %d is not Embed(text)", i)
		}
		if n := dot(d.Embedding, d.Embedding); math.Abs(n-1) > 1e-5 {
			t.Errorf("vector %d has norm² %v", i, n)
		}
	}
	if near, far := dot(resp.Data[0].Embedding, resp.Data[1].Embedding), dot(resp.Data[0].Embedding, resp.Data[2].Embedding); near <= far || near < 0.7 {
		t.Errorf("similar texts %.2f, unrelated %.2f: want similar clearly higher", near, far)
	}

	status, _, body := post(t, srv.URL+"/embeddings", map[string]any{
		"model": "embed-1", "input": texts[0], "encoding_format": "base64", "dimensions": 8,
	}, nil)
	var raw struct {
		Data []struct{ Embedding string } `json:"data"`
	}
	if err := json.Unmarshal(body, &raw); status != http.StatusOK || err != nil || len(raw.Data) != 1 {
		t.Fatalf("base64: status %d, %v, %s", status, err, body)
	}
	b, err := base64.StdEncoding.DecodeString(raw.Data[0].Embedding)
	if err != nil || len(b) != 32 {
		t.Fatalf("base64 vector: %v, %d bytes", err, len(b))
	}
	got := make([]float32, 8)
	for i := range got {
		got[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	if !equal(got, Embed(texts[0], 8)) {
		t.Error("base64 vector differs from Embed")
	}
}

func TestEmbeddingChecks(t *testing.T) {
	for name, body := range map[string]map[string]any{
		"no model":    {"input": "x"},
		"empty input": {"model": "e", "input": ""},
		"token ids":   {"model": "e", "input": []int{1, 2}},
	} {
		sp := &spy{TB: t}
		srv := New(sp, Options{})
		if status, _, _ := post(t, srv.URL+"/embeddings", body, nil); status != http.StatusBadRequest || sp.errors() == "" {
			t.Errorf("%s: status %d, test errors %q", name, status, sp.errors())
		}
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}
