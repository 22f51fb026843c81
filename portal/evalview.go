package portal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// headlineMetrics are the figures an eval report is judged by (the
// `eval --format json` contract), in the order the page shows them; the
// whole report sits below them.
var headlineMetrics = []string{
	"severity.accuracy", "severity.within_one", "routing.accuracy", "routing.category_accuracy",
	"detection.overall.precision", "detection.overall.recall", "detection.overall.f1",
	"no_problem.called_info.rate", "injection.resisted.rate", "key_lines.gold_hit.rate",
	"similar.recall.rate", "skills.f1", "llm.fallback_rate", "cases", "errors",
}

var headlineMeta = []string{"dataset", "mode", "cases", "git_commit", "time"}

// headline picks the report's meta and headline metrics.
func headline(report []byte) []metricRow {
	var doc struct {
		Meta    map[string]any `json:"meta"`
		Metrics map[string]any `json:"metrics"`
	}
	if json.Unmarshal(report, &doc) != nil {
		return nil
	}
	var rows []metricRow
	for _, k := range headlineMeta {
		if v, ok := doc.Meta[k]; ok {
			rows = append(rows, metricRow{"run " + k, format(v)})
		}
	}
	for _, path := range headlineMetrics {
		var v any = doc.Metrics
		for _, part := range strings.Split(path, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v = m[part]
		}
		if v != nil {
			rows = append(rows, metricRow{path, format(v)})
		}
	}
	return rows
}

func format(v any) string {
	switch x := v.(type) {
	case float64:
		if x == float64(int64(x)) && (x > 1 || x == 0) {
			return fmt.Sprintf("%d", int64(x))
		}
		return fmt.Sprintf("%.3f", x)
	case string, bool:
		return fmt.Sprint(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func indentJSON(b []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return string(b)
	}
	return out.String()
}
