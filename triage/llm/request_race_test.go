package llm

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/logtriage/logtriage/triage"
)

// TestRequestsMarshalConcurrently: requests built from one classifier's
// shared schema are encoded by concurrent workers; under -race this fails
// if encoding writes to the shared schema (go-openai fills nil Properties
// in place, which settled prevents).
func TestRequestsMarshalConcurrently(t *testing.T) {
	c, err := New(Options{BaseURL: "http://127.0.0.1:1/v1", Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	in := triage.ClassifyInput{FileName: "app.log", Excerpt: []string{"ERROR x"}, TotalLines: 1,
		Categories: []triage.CategoryOption{{Name: "database"}}, Skills: []string{"postgres"}}
	var wg sync.WaitGroup
	out := make([][]byte, 8)
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := c.buildRequest(in)
			if err != nil {
				t.Error(err)
				return
			}
			out[i], err = json.Marshal(req)
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// Each request has its own random prompt fence, so they differ; each
	// still carries the whole schema.
	for i := range out {
		if !strings.Contains(string(out[i]), `"json_schema"`) || !strings.Contains(string(out[i]), `"enum":["database"]`) {
			t.Fatalf("request %d lost its schema: %.300s", i, out[i])
		}
	}
}
