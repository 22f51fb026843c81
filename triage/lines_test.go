package triage

import (
	"strings"
	"testing"
)

func TestLineLevel(t *testing.T) {
	tests := []struct {
		line, want string
	}{
		{"2015-10-18 18:04:11,034 ERROR [main] org.x.Y: boom", LevelError},
		{"2015-10-18 18:06:26,029 FATAL [IPC Server] org.x.Z: exited", LevelFatal},
		{"081109 214043 2561 WARN dfs.DataNode$DataXceiver: Got exception", LevelWarn},
		{"[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6", LevelError},
		{"[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok", LevelInfo},
		{"03-17 16:13:46.764  2227  2794 E KeyguardUpdateMonitor: isSimPinSecure", LevelError},
		{"03-17 16:13:38.811  1702  2395 D WindowManager: printFreezing", LevelDebug},
		{"E/AndroidRuntime( 1234): FATAL EXCEPTION: main", LevelError},
		{"- 1117838570 2005.06.03 R02 RAS KERNEL INFO instruction cache parity error corrected", LevelInfo},
		{"level=warning msg=\"slow query\"", LevelWarn},
		{"time=1 level=error msg=x", LevelError},
		{`{"ts":"2026-03-13T09:47:16.448Z","level":"warn","service":"x","msg":"responding 503"}`, LevelWarn},
		{`{"ts":"2026-03-13T09:47:16.448Z","level":"debug","msg":"cache error stats"}`, LevelDebug},
		{`{"output":"Warning Detected outbound connection","priority":"Critical","rule":"x"}`, LevelFatal},
		{`{"severity":"ERROR","message":"boom"}`, LevelError},
		{"Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname=", LevelError},
		{"java.lang.IllegalStateException: bad state", LevelError},
		{`[2026-11-22 11:20:07] production.WARNING: Deadlock detected, retrying transaction {"exception":"[object] (QueryException)"}`, LevelWarn},
		{`[2026-11-22 11:20:07] local.ERROR: Undefined variable $order`, LevelError},
		{`[2026-11-22 11:20:05] production.INFO: App\Jobs\SyncInventory started`, LevelInfo},
		{"org.example.Service.run: exception while polling", LevelError},
		{"Device: /dev/sda [SAT], previous self-test completed without error", ""},
		{"backup finished: 1204 files, 0 errors, 0 warnings", ""},
		{"fsck: no errors found on /dev/sda1", ""},
		{"web-1 : ok=12 changed=3 unreachable=0 failed=0 skipped=2", ""},
		{"sync done errors: 0 retried: 4", ""},
		{`{"msg":"batch done","error_count":0}`, ""},
		{"Tests: 120 passed, 0 failed, 2 skipped", ""},
		{"web-1 : ok=12 changed=3 unreachable=0 failed=1 skipped=2", LevelError},
		{"backup finished: 1204 files, 10 errors", LevelError},
		{"sync done errors: 0 retried: 4; upload error: timeout", LevelError},
		{"ATA error count increased from 0 to 2", LevelError},
		{"no route to host, connection failed", LevelError},
		{"| openssl | CVE-2026-0001 | CRITICAL | 3.0.11-1 | 3.0.13-1 | openssl: remote code execution |", LevelWarn},
		{"CRITICAL: disk /dev/sda1 failed", LevelFatal},
		{"F, [2026-05-06T04:53:22.180Z #22] FATAL -- : [0d68b68b-3ed7] ActionView::Template::Error (undefined method 'strftime' for nil:NilClass):", LevelError},
		{"F, [2026-05-06T04:53:22.180Z #22] FATAL -- : could not connect to Redis, exiting", LevelFatal},
		{"everything is fine here", ""},
		{"Error: ENOENT", LevelError},
		{"an error in lowercase prose still counts as an error line", LevelError},
		{"INFO user said ERROR in the message", LevelInfo},
		{"", ""},
	}
	for _, tt := range tests {
		if got, _ := LineLevel([]byte(tt.line)); got != tt.want {
			t.Errorf("LineLevel(%q) = %q; want %q", tt.line, got, tt.want)
		}
	}
}

func TestTemplate(t *testing.T) {
	same := [][2]string{
		{"2015-10-18 18:04:11,034 ERROR x: id 12 failed", "2016-01-02 01:02:03,999 ERROR x: id 99999 failed"},
		{"Jun 14 15:16:01 combo sshd[19939]: auth failure rhost=218.188.2.4", "Jul  1 09:00:55 combo sshd[1]: auth failure rhost=10.0.0.1"},
		{`user "alice" logged in`, `user "bob smith" logged in`},
		{"token [EMAIL:3f9a1c2e] seen", "token [EMAIL:77aa00bb] seen"},
		{"line with crlf\r", "line with crlf"},
		{"req deadbeefcafebabe done", "req 0123456789abcdef done"},
	}
	for _, p := range same {
		a, b := Template([]byte(p[0])), Template([]byte(p[1]))
		if a != b {
			t.Errorf("templates differ:\n %q -> %q\n %q -> %q", p[0], a, p[1], b)
		}
	}
	different := [][2]string{
		{"ERROR connection refused", "ERROR connection reset"},
		{"INFO started", "WARN started"},
	}
	for _, p := range different {
		if Template([]byte(p[0])) == Template([]byte(p[1])) {
			t.Errorf("templates of %q and %q are equal", p[0], p[1])
		}
	}
	if got := Template([]byte("2015-10-18 18:04:11,034 ERROR x")); got != "<*> ERROR x" {
		t.Errorf("timestamp not folded into one variable: %q", got)
	}
	if long := Template([]byte(strings.Repeat("word ", 1<<20))); len(long) > maxTemplateBytes+8 {
		t.Errorf("template of a 5 MB line is %d bytes", len(long))
	}
}

func TestTimestampAndComponent(t *testing.T) {
	tests := []struct {
		line, ts, comp string
	}{
		{"2015-10-18 18:04:11,034 ERROR [RMCommunicator Allocator] org.apache.hadoop.RMContainerAllocator: x", "2015-10-18 18:04:11,034", "RMContainerAllocator"},
		{"Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure", "Jun 14 15:16:01", "sshd(pam_unix)"},
		{"[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6", "Sun Dec 04 04:47:44 2005", "mod_jk"},
		{"03-17 16:13:46.764  2227  2794 E KeyguardUpdateMonitor: isSimPinSecure", "03-17 16:13:46.764", "KeyguardUpdateMonitor"},
		{"2024-05-01T10:00:00Z ERROR payment declined", "2024-05-01T10:00:00Z", ""},
		{"no time here ERROR x", "", ""},
	}
	for _, tt := range tests {
		b := []byte(tt.line)
		if got := Timestamp(b); got != tt.ts {
			t.Errorf("Timestamp(%q) = %q; want %q", tt.line, got, tt.ts)
		}
		_, end := LineLevel(b)
		if got := Component(b, end); got != tt.comp {
			t.Errorf("Component(%q) = %q; want %q", tt.line, got, tt.comp)
		}
	}
}

func TestStackLinesAndSignals(t *testing.T) {
	stack := []string{"\tat com.x.Y.z(Y.java:12)", "    at Object.<anonymous> (/app/x.js:3:9)", "Caused by: java.io.IOException: x",
		`  File "/app/x.py", line 3, in <module>`, "\t... 12 more", "goroutine 1 [running]:", "\t/app/main.go:12 +0x1d"}
	for _, l := range stack {
		if !IsStackLine([]byte(l)) {
			t.Errorf("IsStackLine(%q) = false", l)
		}
	}
	for _, l := range []string{"at noon we restarted", "2024 INFO ok", "File uploaded"} {
		if IsStackLine([]byte(l)) {
			t.Errorf("IsStackLine(%q) = true", l)
		}
	}
	signals := map[string]string{
		"panic: runtime error: index out of range":             "panic",
		"java.lang.OutOfMemoryError: Java heap space":          "oom",
		"kernel: Out of memory: Killed process 1234 (java)":    "oom",
		"app[12]: segfault at 0 ip 00007f sp 00007ffd error 4": "segfault",
		"write /data/x: no space left on device":               "disk_full",
		"Kernel panic - not syncing: Fatal exception":          "kernel_panic",
		"ERROR page checksum mismatch: block 12 is corrupted":  "data_loss",
		"INFO memory usage 40%":                                "",
		"DEBUG the word spaceship is not a disk":               "",
		"INFO panicking is not a panic here":                   "",
	}
	for line, want := range signals {
		var names []string
		for _, i := range matchSignals([]byte(line), appendLower(nil, []byte(line)), nil) {
			names = append(names, FatalSignals[i].Name)
		}
		got := strings.Join(names, ",")
		if want == "" && got != "" || want != "" && !strings.Contains(","+got+",", ","+want+",") {
			t.Errorf("signals of %q = %q; want %q", line, got, want)
		}
	}
}

func TestContainsFold(t *testing.T) {
	for _, tt := range []struct {
		s, needle string
		want      bool
	}{{"An EXCEPTION here", "exception", true}, {"exceptio", "exception", false}, {"", "x", false}, {"x", "", true}} {
		if got := containsFold([]byte(tt.s), tt.needle); got != tt.want {
			t.Errorf("containsFold(%q, %q) = %v", tt.s, tt.needle, got)
		}
	}
}

func FuzzLineParsers(f *testing.F) {
	for _, s := range []string{"2015-10-18 18:04:11,034 ERROR [main] a.B: x", "E/Tag( 1): y", "level=warn msg=\"a\"", "\"unterminated", "", "\tat x.Y(Z.java:1)", "#0 /x.php(1): y", "#1", "goroutine 1 [running]:", "main.main()"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		lvl, end := LineLevel(line)
		if end < 0 || end > len(line) || (lvl == "" && end != 0) {
			t.Fatalf("LineLevel(%q) = %q, %d", line, lvl, end)
		}
		tmpl := Template(line)
		if len(tmpl) > maxTemplateBytes+len(line) {
			t.Fatalf("template longer than its line: %q", tmpl)
		}
		if Template(append(append([]byte(nil), line...), '\r')) != tmpl {
			t.Fatalf("a trailing CR changes the template of %q", line)
		}
		_ = Component(line, end)
		_ = Timestamp(line)
		if IsFrame(line) && !IsStackLine(line) {
			t.Fatalf("frame %q is not a stack line", line)
		}
		_ = goFuncLine(line)
		_ = matchSignals(line, appendLower(nil, line), nil)
	})
}

// A stack trace is counted from frames of the shapes runtimes print; an
// indented line of any other shape continues the line above and is no trace.
func TestStackTracesNeedFrames(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  int
	}{
		{"java", []string{"2026-01-01 ERROR x: boom", "java.lang.IllegalStateException: bad", "\tat com.x.Y.z(Y.java:12)", "\tat com.x.Y.main(Y.java:3)"}, 1},
		{"java with cause is one trace", []string{"ERROR x", "\tat a.B.c(B.java:1)", "Caused by: java.io.IOException: x", "\tat a.B.d(B.java:2)", "\t... 12 more"}, 1},
		{".net", []string{"fail: x", "   at Orders.Repo.SaveAsync(Order o) in /src/Repo.cs:line 88"}, 1},
		{"python", []string{"Traceback (most recent call last):", `  File "/app/x.py", line 3, in <module>`, "    main()", "KeyError: 'id'"}, 1},
		{"go", []string{"panic: runtime error", "", "goroutine 1 [running]:", "main.main()", "\t/app/main.go:12 +0x1d"}, 1},
		{"php", []string{"[2026-01-01 00:00:00] production.ERROR: x", "Stack trace:", "#0 /var/www/app/Http.php(62): Client->send()", "#1 {main}"}, 1},
		{"gdb", []string{"Thread 1 received signal SIGSEGV", "#0  0x00007f3a1c2b4e10 in memcpy () from /lib64/libc.so.6"}, 1},
		{"ruby", []string{"E, [2026-01-01] ERROR -- : boom (RuntimeError)", "\tfrom /app/lib/worker.rb:12:in `perform'"}, 1},
		{"two traces", []string{"ERROR a", "\tat a.B.c(B.java:1)", "INFO ok", "ERROR b", "\tat a.B.c(B.java:1)"}, 2},
		{"postgres autovacuum detail", []string{`LOG:  automatic vacuum of table "crm.public.a": index scans: 1`, "\tpages: 0 removed, 82211 remain", "\ttuples: 40812 removed, 2210918 remain", "\tsystem usage: CPU: user: 0.88 s"}, 0},
		{"indented sql and config dumps", []string{"LOG:  statement: SELECT 1", "\tFROM orders", "\tWHERE id = 4", "config:", "\tat_least_once: true"}, 0},
		{"issue numbers are not frames", []string{"INFO merged", "#12 fix login (by alice)", "#13 bump deps"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := feed(AnalyzeOptions{}, tc.lines, nil).StackTraces; got != tc.want {
				t.Errorf("StackTraces = %d, want %d", got, tc.want)
			}
		})
	}
}
