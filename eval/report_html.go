package eval

import (
	"fmt"
	"html"
	"html/template"
	"io"
	"strings"
)

// WriteHTML writes a self-contained report: inline CSS and SVG charts, no
// scripts or external assets, so it opens from a CI artifact or a mail.
func WriteHTML(w io.Writer, r *Run, cmp *Comparison) error {
	m := r.Metrics
	data := htmlData{Run: r, Comparison: cmp, Headline: m.Gauges()}
	if m.Severity != nil {
		data.ConfusionSVG = template.HTML(confusionSVG(m.Severity))
	}
	if m.Detection != nil && len(m.Detection.PerType) > 0 {
		var rows []barRow
		for _, t := range sortedKeys(m.Detection.PerType) {
			p := m.Detection.PerType[t]
			rows = append(rows, barRow{fmt.Sprintf("%s (%d)", t, p.TP+p.FN), []float64{p.Precision, p.Recall, p.F1}})
		}
		data.DetectionSVG = template.HTML(barsSVG("Detection by finding type (gold count)", rows, []string{"precision", "recall", "F1"}))
	}
	if m.Routing != nil {
		var rows []barRow
		for _, q := range sortedKeys(m.Routing.PerQueue) {
			p := m.Routing.PerQueue[q]
			rows = append(rows, barRow{fmt.Sprintf("%s (%d)", q, p.Total), []float64{p.Rate}})
		}
		data.RoutingSVG = template.HTML(barsSVG("Routing accuracy by gold queue (cases)", rows, []string{"accuracy"}))
	}
	return reportTemplate.Execute(w, data)
}

type htmlData struct {
	Run          *Run
	Comparison   *Comparison
	Headline     []Gauge
	ConfusionSVG template.HTML
	DetectionSVG template.HTML
	RoutingSVG   template.HTML
}

type barRow struct {
	label  string
	values []float64 // each 0..1
}

var seriesColors = []string{"#4e79a7", "#f28e2b", "#59a14f"}

// barsSVG draws grouped horizontal bars, one group per row.
func barsSVG(title string, rows []barRow, series []string) string {
	const labelW, barW, barH, gap, top = 230, 360, 12, 10, 40
	groupH := len(series)*barH + gap
	height := top + len(rows)*groupH + 30
	width := labelW + barW + 60
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="%s" width="%d" height="%d" viewBox="0 0 %d %d">`, esc(title), width, height, width, height)
	fmt.Fprintf(&b, `<text x="0" y="16" font-weight="bold">%s</text>`, esc(title))
	for i, s := range series {
		x := labelW + i*110
		fmt.Fprintf(&b, `<rect x="%d" y="24" width="10" height="10" fill="%s"/><text x="%d" y="33" font-size="11">%s</text>`, x, seriesColors[i%len(seriesColors)], x+14, esc(s))
	}
	for i, row := range rows {
		y := top + i*groupH
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="12">%s</text>`, labelW-8, y+len(series)*barH/2+4, esc(row.label))
		for j, v := range row.values {
			w := int(v * barW)
			fmt.Fprintf(&b, `<rect class="bar" x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s %s %.3f</title></rect>`,
				labelW, y+j*barH, w, barH-2, seriesColors[j%len(seriesColors)], esc(row.label), esc(series[j]), v)
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10">%.2f</text>`, labelW+w+4, y+j*barH+barH-3, v)
		}
	}
	axisY := top + len(rows)*groupH
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#999"/>`, labelW, axisY, labelW+barW, axisY)
	for _, t := range []float64{0, 0.5, 1} {
		x := labelW + int(t*barW)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" text-anchor="middle">%.1f</text>`, x, axisY+14, t)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// confusionSVG draws the severity confusion matrix, rows gold, columns
// predicted, shaded by the share of the gold row.
func confusionSVG(s *SeverityMetrics) string {
	const cell, left, top = 56, 90, 60
	gold := s.Labels[:len(s.Labels)-1]
	width := left + len(s.Labels)*cell + 10
	height := top + len(gold)*cell + 30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="severity confusion matrix" width="%d" height="%d" viewBox="0 0 %d %d">`, width, height, width, height)
	b.WriteString(`<text x="0" y="16" font-weight="bold">Severity confusion (rows gold, columns predicted)</text>`)
	for j, l := range s.Labels {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="12">%s</text>`, left+j*cell+cell/2, top-8, esc(l))
	}
	for i, g := range gold {
		row := s.Confusion[g]
		total := 0
		for _, n := range row {
			total += n
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="12">%s</text>`, left-8, top+i*cell+cell/2+4, esc(g))
		for j, n := range row {
			share := 0.0
			if total > 0 {
				share = float64(n) / float64(total)
			}
			fill := fmt.Sprintf("rgba(78,121,167,%.2f)", 0.08+0.92*share)
			if j != i && n > 0 {
				fill = fmt.Sprintf("rgba(225,87,89,%.2f)", 0.15+0.85*share)
			}
			fmt.Fprintf(&b, `<rect class="cell" x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#fff"><title>gold %s, predicted %s: %d</title></rect>`,
				left+j*cell, top+i*cell, cell, cell, fill, esc(g), esc(s.Labels[j]), n)
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="13">%d</text>`, left+j*cell+cell/2, top+i*cell+cell/2+5, n)
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func esc(s string) string { return html.EscapeString(s) }

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":    func(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) },
	"f3":     func(v float64) string { return fmt.Sprintf("%.3f", v) },
	"short":  short,
	"joined": func(s []string) string { return strings.Join(s, ", ") },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>logtriage eval — {{.Run.Meta.Dataset}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1100px; }
table { border-collapse: collapse; margin: 1em 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.miss td { background: #fff3f3; }
.bad { color: #b00020; font-weight: bold; }
.charts { display: flex; flex-wrap: wrap; gap: 2em; }
.meta td:first-child { font-weight: bold; }
</style>
</head>
<body>
<h1>logtriage eval</h1>
<table class="meta">
<tr><td>dataset</td><td>{{.Run.Meta.Dataset}} ({{.Run.Meta.Cases}} cases)</td></tr>
<tr><td>dataset sha256</td><td><code>{{.Run.Meta.DatasetHash}}</code></td></tr>
<tr><td>mode</td><td>{{.Run.Meta.Mode}}{{with .Run.Meta.Model}}, model {{.}}{{end}}{{with .Run.Meta.PromptVersion}}, prompt {{.}}{{end}}</td></tr>
<tr><td>config sha256</td><td><code>{{.Run.Meta.ConfigHash}}</code></td></tr>
<tr><td>seed / commit</td><td>{{.Run.Meta.Seed}} / {{with .Run.Meta.GitCommit}}{{.}}{{else}}-{{end}}</td></tr>
<tr><td>run at</td><td>{{.Run.Meta.Time.Format "2006-01-02 15:04:05 UTC"}}, {{printf "%.0f" .Run.Meta.DurationMS}} ms</td></tr>
<tr><td>errors</td><td>{{.Run.Metrics.Errors}}</td></tr>
</table>

<h2>Headline</h2>
<table>
<tr><th>metric</th><th>value</th></tr>
{{range .Headline}}<tr><td>{{.Name}}</td><td class="num">{{f3 .Value}}</td></tr>
{{end}}{{with .Run.Metrics.LLM}}<tr><td>LLM tokens (prompt / completion)</td><td class="num">{{.PromptTokens}} / {{.CompletionTokens}}</td></tr>
<tr><td>LLM cost (estimate, list prices)</td><td class="num">{{if .PricedModel}}${{printf "%.4f" .CostUSD}}{{else}}n/a{{end}}</td></tr>
<tr><td>latency p50 / p95 per case</td><td class="num">{{printf "%.1f" .LatencyP50MS}} / {{printf "%.1f" .LatencyP95MS}} ms</td></tr>
<tr><td>classify step p50 / p95</td><td class="num">{{printf "%.1f" .ClassifyP50MS}} / {{printf "%.1f" .ClassifyP95MS}} ms</td></tr>{{end}}
</table>

{{with .Comparison}}<h2>Against the baseline</h2>
<table>
<tr><th>metric</th><th>baseline</th><th>current</th><th>delta</th><th>tolerance</th><th>result</th></tr>
{{range .Deltas}}<tr{{if .Regression}} class="miss"{{end}}><td>{{.Name}}</td><td class="num">{{f3 .Baseline}}</td><td class="num">{{f3 .Current}}</td><td class="num">{{printf "%+.3f" .Delta}}</td><td class="num">{{f3 .Tolerance}}</td><td>{{if .Regression}}<span class="bad">regression</span>{{else}}ok{{end}}</td></tr>
{{end}}</table>
{{range .MetaChanges}}<p>note: {{.}}</p>{{end}}{{end}}

<h2>Charts</h2>
<div class="charts">
{{.ConfusionSVG}}
{{.RoutingSVG}}
{{.DetectionSVG}}
</div>

<h2>Cases</h2>
<table>
<tr><th>case</th><th>severity gold → predicted</th><th>queue gold → predicted</th><th>skills predicted</th><th>classifier</th><th>ms</th><th>note</th></tr>
{{range .Run.Cases}}<tr{{if or .Error (ne .Severity .GoldSeverity) (ne .Queue .GoldQueue)}} class="miss"{{end}}>
<td>{{.ID}}</td><td>{{.GoldSeverity}} → {{.Severity}}</td><td>{{.GoldQueue}} → {{.Queue}}</td><td>{{joined .Skills}}</td>
<td>{{.Classifier}}{{with .FallbackReason}} (fallback: {{.}}){{end}}</td><td class="num">{{printf "%.1f" .LatencyMS}}</td>
<td>{{with .Error}}<span class="bad">{{.}}</span>{{end}}{{if .Injection}}injection canary {{end}}{{if .NoProblem}}clean log {{end}}{{with .InvalidKeyLines}}<span class="bad">{{len .}} invalid key line(s)</span>{{end}}</td></tr>
{{end}}</table>
</body>
</html>
`))
