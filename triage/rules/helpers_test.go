package rules

import (
	"fmt"

	"github.com/logtriage/logtriage/triage"
)

// feed analyzes plain (already redacted) lines.
func feed(opt triage.AnalyzeOptions, lines []string, _ any) *triage.Analysis {
	return triage.AnalyzeLines(opt, lines)
}

// syntheticLog is a service log: a startup, steady info traffic of a few
// templates, a database error every 997 lines, one Java stack trace, a
// shutdown line.
func syntheticLog(n int) []string {
	lines := []string{"2024-05-01 10:00:00,000 INFO [main] app.Server: starting version 1.2.3"}
	for i := 1; i < n-1; i++ {
		ts := fmt.Sprintf("2024-05-01 10:%02d:%02d,%03d", i/60000%60, i/1000%60, i%1000)
		switch {
		case i == n/2:
			lines = append(lines,
				ts+" ERROR [worker-3] app.Orders: unhandled exception",
				"java.lang.IllegalStateException: order 42 in bad state",
				"\tat app.Orders.place(Orders.java:88)",
				"\tat app.Http.handle(Http.java:12)",
				"Caused by: java.sql.SQLException: deadlock detected")
		case i%997 == 0:
			lines = append(lines, fmt.Sprintf("%s ERROR [pool-%d] app.Db: query timeout after %dms on orders", ts, i%7, 3000+i%100))
		case i%501 == 0:
			lines = append(lines, fmt.Sprintf("%s WARN [pool-%d] app.Db: slow query %dms", ts, i%7, 900+i%100))
		default:
			lines = append(lines, fmt.Sprintf("%s INFO [http-%d] app.Http: GET /api/items/%d 200 %dms", ts, i%16, i, i%50))
		}
	}
	return append(lines, "2024-05-01 11:00:00,000 INFO [main] app.Server: shutdown complete")
}
