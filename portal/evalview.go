package portal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// headline flattens the report's "metrics" object to name/value rows
// (severity.accuracy, routing.accuracy, ...), in name order.
func headline(report []byte) []metricRow {
	var doc struct {
		Metrics map[string]any `json:"metrics"`
	}
	if json.Unmarshal(report, &doc) != nil {
		return nil
	}
	var rows []metricRow
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, y := range x {
				name := k
				if prefix != "" {
					name = prefix + "." + k
				}
				walk(name, y)
			}
		case float64:
			rows = append(rows, metricRow{prefix, fmt.Sprintf("%.3f", x)})
		case string, bool:
			rows = append(rows, metricRow{prefix, fmt.Sprint(x)})
		}
	}
	walk("", doc.Metrics)
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	if len(rows) > 200 {
		rows = rows[:200]
	}
	return rows
}

func indentJSON(b []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return string(b)
	}
	return out.String()
}
