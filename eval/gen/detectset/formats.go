package detectset

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A format renders a whole log file of one kind, planting items among
// routine lines that carry decoys.
type format struct {
	name    string
	accepts func(it item) bool
	render  func(c *ctx, items []item)
}

type ctx struct {
	g    gen
	d    *doc
	t    time.Time
	host string
}

func (c *ctx) tick() time.Time {
	c.t = c.t.Add(time.Duration(c.g.n(1, 4000)) * time.Millisecond)
	return c.t
}

// interleave writes a few noise lines, then for every item a few more and
// the item, then a little trailing noise.
func (c *ctx) interleave(items []item, noise func(), plant func(it item)) {
	for range c.g.n(2, 5) {
		noise()
	}
	for _, it := range items {
		for range c.g.n(1, 4) {
			noise()
		}
		plant(it)
	}
	for range c.g.n(1, 3) {
		noise()
	}
}

func singleLine(it item) bool { return !it.multiline() }

func envKey(it item) string {
	if it.env != "" {
		return it.env
	}
	return strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(it.key))
}

func withSpace(it item) bool { return strings.ContainsAny(segsText(it.val), " \t") }

var formats = []format{
	{name: "json-app", accepts: func(item) bool { return true }, render: renderJSONApp},
	{name: "logfmt", accepts: func(item) bool { return true }, render: renderLogfmt},
	{name: "syslog", accepts: func(it item) bool { return singleLine(it) && (it.shape != shapeKV || !withSpace(it)) }, render: renderSyslog},
	{name: "access-log", accepts: func(it item) bool {
		return (it.shape == shapeKV && it.urlSafe()) || (it.shape == shapeHeader && it.key == "X-Forwarded-For")
	}, render: renderAccessLog},
	{name: "java-stack", accepts: func(it item) bool { return singleLine(it) || it.shape == shapeText }, render: renderJava},
	{name: "python-traceback", accepts: func(item) bool { return true }, render: renderPython},
	{name: "go-panic", accepts: func(item) bool { return true }, render: renderGoPanic},
	{name: "http-dump", accepts: func(it item) bool { return it.shape == shapeHeader || (it.shape == shapeKV && singleLine(it)) }, render: renderHTTPDump},
	{name: "env-dump", accepts: func(it item) bool { return it.shape == shapeKV }, render: renderEnvDump},
	{name: "docker-inspect", accepts: func(it item) bool { return it.shape == shapeKV }, render: renderDockerInspect},
	{name: "k8s-describe", accepts: func(it item) bool { return singleLine(it) && it.shape != shapeHeader }, render: renderK8s},
	{name: "postgres", accepts: func(it item) bool { return singleLine(it) && it.shape != shapeHeader }, render: renderPostgres},
	{name: "ci-output", accepts: singleLine, render: renderCI},
	{name: "agent-log", accepts: func(item) bool { return true }, render: renderAgent},
	{name: "yaml-config", accepts: func(item) bool { return true }, render: renderYAML},
	{name: "iis-w3c", accepts: func(it item) bool {
		return (it.shape == shapeKV && it.urlSafe()) || (it.shape == shapeHeader && it.key == "Cookie")
	}, render: renderIIS},
}

// --- JSON structured app logs ---

var services = []string{"checkout", "billing-api", "auth-svc", "orders", "notifier", "search", "gateway", "ledger"}

func (c *ctx) jsonNoise() {
	g := c.g
	fields := []kv{
		str("ts", c.tick().Format("2006-01-02T15:04:05.000Z07:00")),
		str("level", g.pick("info", "info", "debug", "warn")),
		str("service", c.host),
		str("msg", g.decoyText()),
	}
	for range g.n(1, 3) {
		k, v := g.decoyKV()
		fields = append(fields, str(k, v))
	}
	if g.chance(0.3) {
		fields = append(fields, field("client_ip", lab("ip_address", g.ip())))
	}
	if g.chance(0.05) { // public material next to the secrets: not a finding
		fields = append(fields, str("ca_bundle", g.publicPEM()+"\n"))
	}
	fields = append(fields, rawField("duration_ms", txt(fmt.Sprint(g.n(1, 3000)))))
	c.d.line(jsonSegs(fields)...)
}

func renderJSONApp(c *ctx, items []item) {
	g := c.g
	c.interleave(items, c.jsonNoise, func(it item) {
		fields := []kv{
			str("ts", c.tick().Format("2006-01-02T15:04:05.000Z07:00")),
			str("level", g.pick("error", "warn", "debug", "info")),
			str("service", c.host),
		}
		switch it.shape {
		case shapeKV:
			fields = append(fields, str("msg", g.pick("config loaded", "outbound call failed", "user updated", "retrying request")), field(it.key, it.val...))
		case shapeHeader:
			fields = append(fields, str("msg", "upstream request"), str("method", "POST"),
				rawField("headers", jsonSegs([]kv{str("Content-Type", "application/json"), field(it.key, it.val...)})...))
		default:
			fields = append(fields, field("msg", it.val...))
		}
		fields = append(fields, str("request_id", g.uuid()))
		c.d.line(jsonSegs(fields)...)
	})
}

// --- logfmt ---

func logfmtValue(v []seg) []seg {
	s := segsText(v)
	if s != "" && !strings.ContainsAny(s, " \t\n\"=\\") {
		return v
	}
	out := []seg{txt(`"`)}
	for _, x := range v {
		out = append(out, seg{typ: x.typ, text: logfmtEsc(x.text)})
	}
	return append(out, txt(`"`))
}

func (c *ctx) logfmtNoise() {
	g := c.g
	segs := []seg{txt(fmt.Sprintf("time=%s level=%s component=%s msg=", c.tick().Format(time.RFC3339Nano), g.pick("info", "debug", "warn"), c.host))}
	segs = append(segs, logfmtValue([]seg{txt(g.decoyText())})...)
	k, v := g.decoyKV()
	segs = append(segs, txt(" "+k+"="))
	segs = append(segs, logfmtValue([]seg{txt(v)})...)
	if g.chance(0.3) {
		segs = append(segs, txt(" peer="), lab("ip_address", g.ipv4()), txt(fmt.Sprintf(":%d", g.n(1024, 65535))))
	}
	c.d.line(segs...)
}

func renderLogfmt(c *ctx, items []item) {
	g := c.g
	c.interleave(items, c.logfmtNoise, func(it item) {
		segs := []seg{txt(fmt.Sprintf("time=%s level=%s component=%s ", c.tick().Format(time.RFC3339Nano), g.pick("error", "warn", "info"), c.host))}
		switch it.shape {
		case shapeKV:
			segs = append(segs, txt(`msg="loaded settings" `+it.key+"="))
			segs = append(segs, logfmtValue(it.val)...)
		case shapeHeader:
			segs = append(segs, txt(`msg="proxying request" method=GET path=/api/v1/items http.request.header.`+strings.ToLower(strings.ReplaceAll(it.key, "-", "_"))+"="))
			segs = append(segs, logfmtValue(it.val)...)
		default:
			segs = append(segs, txt("msg="))
			segs = append(segs, logfmtValue(it.val)...)
		}
		segs = append(segs, txt(" trace_id="+g.str(hexLower, 32)))
		c.d.line(segs...)
	})
}

// --- syslog ---

func (c *ctx) syslogPrefix(app string) string {
	return fmt.Sprintf("%s %s %s[%d]: ", c.tick().Format(time.Stamp), c.host, app, c.g.n(200, 32000))
}

func (c *ctx) syslogNoise() {
	g := c.g
	switch g.r.IntN(4) {
	case 0:
		c.d.line(txt(c.syslogPrefix("sshd")+"Accepted publickey for deploy from "), lab("ip_address", g.ipv4()),
			txt(fmt.Sprintf(" port %d ssh2: ED25519 SHA256:%s", g.n(1024, 65000), g.str(base62+"+/", 43))))
	case 1:
		c.d.line(txt(c.syslogPrefix("CRON") + "(root) CMD (/usr/local/bin/backup.sh --run-id " + g.uuid() + ")"))
	case 2:
		k, v := g.decoyKV()
		c.d.line(txt(c.syslogPrefix("app") + g.decoyText() + " " + k + "=" + v))
	default:
		if g.chance(0.3) { // raw invalid UTF-8, as devices log it; offsets after it must stay bytes
			c.d.line(txt(c.syslogPrefix("kernel") + "usb 1-1: string descriptor 0 read error: -71 \xff\xfe\x00\xc3("))
			return
		}
		c.d.line(txt(c.syslogPrefix("kernel") + fmt.Sprintf("[%d.%06d] EXT4-fs (nvme0n1p1): mounted filesystem with ordered data mode", g.n(1, 99999), g.n(0, 999999))))
	}
}

func renderSyslog(c *ctx, items []item) {
	g := c.g
	c.interleave(items, c.syslogNoise, func(it item) {
		app := g.pick("app", "worker", "sshd", "postfix/smtp", "nginx")
		switch it.shape {
		case shapeKV:
			c.d.line(append([]seg{txt(c.syslogPrefix(app) + g.pick("starting job with ", "settings: ", "reload: ") + it.key + "=")}, it.val...)...)
		case shapeHeader:
			c.d.line(append([]seg{txt(c.syslogPrefix(app) + "debug: request header " + it.key + ": ")}, it.val...)...)
		default:
			c.d.line(append([]seg{txt(c.syslogPrefix(app))}, it.val...)...)
		}
	})
}

// --- access logs (nginx / apache combined) ---

var uas = []string{
	`Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36`,
	`curl/8.5.0`, `python-requests/2.31.0`, `kube-probe/1.29`, `Go-http-client/1.1`,
}

func (c *ctx) accessLine(query []seg, xff []seg) {
	g := c.g
	path := g.pick("/api/v1/orders", "/login", "/search", "/v2/users/me", "/static/app.js", "/oauth/callback")
	segs := []seg{lab("ip_address", g.ip()), txt(" - - [" + c.tick().Format("02/Jan/2006:15:04:05 -0700") + "] \"" + g.pick("GET", "GET", "POST") + " " + path)}
	if len(query) > 0 {
		segs = append(segs, txt("?"))
		segs = append(segs, query...)
	}
	segs = append(segs, txt(fmt.Sprintf(" HTTP/1.1\" %s %d \"-\" \"%s\"", g.pick("200", "200", "302", "401", "404", "500"), g.n(0, 90000), g.pick(uas...))))
	if xff != nil {
		segs = append(segs, txt(" \""))
		segs = append(segs, xff...)
		segs = append(segs, txt("\""))
	}
	c.d.line(segs...)
}

func renderAccessLog(c *ctx, items []item) {
	g := c.g
	noise := func() {
		if g.chance(0.4) { // an address a line: keep IPs from swamping the corpus
			return
		}
		var q []seg
		if g.chance(0.5) {
			k, v := g.decoyKV()
			if !strings.ContainsAny(v, " <>{}$/()[]*") {
				q = []seg{txt(fmt.Sprintf("page=%d&%s=%s", g.n(1, 20), k, v))}
			}
		}
		c.accessLine(q, nil)
	}
	c.interleave(items, noise, func(it item) {
		if it.shape == shapeHeader {
			c.accessLine(nil, it.val)
			return
		}
		q := append([]seg{txt(fmt.Sprintf("utm_source=mail&%s=", it.key))}, it.val...)
		c.accessLine(append(q, txt(fmt.Sprintf("&ts=%s", g.epochMS()))), nil)
	})
}

// --- Java / logback with stack traces ---

func (c *ctx) javaPrefix(level string) string {
	return fmt.Sprintf("%s %-5s [%s] %s - ", c.tick().Format("2006-01-02 15:04:05.000"), level, c.g.pick("main", "http-nio-8080-exec-3", "scheduling-1", "kafka-consumer-2"), c.g.javaClass())
}

func (c *ctx) javaFrames() {
	g := c.g
	for range g.n(3, 8) {
		cls := g.javaClass()
		name := cls[strings.LastIndex(cls, ".")+1:]
		c.d.line(txt(fmt.Sprintf("\tat %s.%s(%s.java:%d)", cls, g.pick("handle", "invoke", "apply", "doFilter", "process"), name, g.n(20, 900))))
	}
	c.d.line(txt(fmt.Sprintf("\t... %d common frames omitted", g.n(10, 80))))
}

func renderJava(c *ctx, items []item) {
	g := c.g
	noise := func() {
		if g.chance(0.2) {
			c.d.line(txt(c.javaPrefix("WARN") + "Retrying after transient failure"))
			c.d.line(txt("java.net.SocketTimeoutException: Read timed out (request " + g.uuid() + ")"))
			c.javaFrames()
			return
		}
		k, v := g.decoyKV()
		c.d.line(txt(c.javaPrefix("INFO") + g.decoyText() + " [" + k + "=" + v + "]"))
	}
	c.interleave(items, noise, func(it item) {
		switch it.shape {
		case shapeKV:
			c.d.line(txt(c.javaPrefix("ERROR") + "Failed to bind properties under 'app.datasource'"))
			c.d.line(append([]seg{txt("org.springframework.boot.context.properties.bind.BindException: Failed to bind property " + it.key + "=")}, it.val...)...)
		case shapeHeader:
			c.d.line(txt(c.javaPrefix("DEBUG") + "Outgoing request headers:"))
			c.d.line(append([]seg{txt("    " + it.key + ": ")}, it.val...)...)
			return
		default:
			c.d.line(txt(c.javaPrefix("ERROR") + "Unhandled exception in request " + g.uuid()))
			c.d.line(append([]seg{txt(g.pick("java.lang.IllegalStateException: ", "org.postgresql.util.PSQLException: ", "com.acme.ApiException: "))}, it.val...)...)
		}
		c.javaFrames()
	})
}

// --- Python tracebacks ---

func pyEsc(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, "'", `\'`).Replace(s)
}

func renderPython(c *ctx, items []item) {
	g := c.g
	prefix := func(level string) string {
		return fmt.Sprintf("%s,%03d %s %s: ", c.tick().Format("2006-01-02 15:04:05"), g.n(0, 999), level, g.pick("app.worker", "celery.task", "django.request", "uvicorn.error"))
	}
	frames := func() {
		c.d.line(txt("Traceback (most recent call last):"))
		for range g.n(2, 4) {
			mod := g.pick("app/tasks.py", "app/db.py", "site-packages/requests/adapters.py", "site-packages/psycopg2/__init__.py")
			c.d.line(txt(fmt.Sprintf("  File \"/srv/%s\", line %d, in %s", mod, g.n(10, 700), g.pick("run", "connect", "send", "sync_invoices"))))
			c.d.line(txt("    " + g.pick("return self._connect(dsn)", "resp = session.send(req)", "conn = psycopg2.connect(**params)")))
		}
	}
	noise := func() {
		k, v := g.decoyKV()
		c.d.line(txt(prefix("INFO") + g.decoyText() + " " + k + "=" + v))
	}
	c.interleave(items, noise, func(it item) {
		c.d.line(txt(prefix("ERROR") + "task failed"))
		frames()
		switch it.shape {
		case shapeKV:
			c.d.line(txt("ValueError: invalid settings"))
			c.d.line(append(append([]seg{txt("Locals: {'retries': 3, '" + it.key + "': '")}, escSegs(it.val, pyEsc)...), txt("', 'timeout': 30}"))...)
		case shapeHeader:
			c.d.line(append(append([]seg{txt("requests.exceptions.HTTPError: 401 Client Error for url https://api.example.com/v1/sync (headers={'" + it.key + "': '")}, escSegs(it.val, pyEsc)...), txt("'})"))...)
		default:
			c.d.line(append([]seg{txt(g.pick("psycopg2.OperationalError: ", "RuntimeError: ", "requests.exceptions.ConnectionError: "))}, it.val...)...)
		}
	})
}

func escSegs(ss []seg, e escaper) []seg {
	out := make([]seg, len(ss))
	for i, s := range ss {
		out[i] = seg{typ: s.typ, text: e(s.text)}
	}
	return out
}

// --- Go panics and std log ---

func goQuote(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

func renderGoPanic(c *ctx, items []item) {
	g := c.g
	prefix := func() string { return c.tick().Format("2006/01/02 15:04:05 ") }
	noise := func() {
		k, v := g.decoyKV()
		c.d.line(txt(prefix() + g.decoyText() + " " + k + "=" + strconv.Quote(v)))
	}
	c.interleave(items, noise, func(it item) {
		switch it.shape {
		case shapeKV:
			c.d.line(append(append([]seg{txt(prefix() + "config: " + it.key + "=\"")}, escSegs(it.val, goQuote)...), txt("\""))...)
		case shapeHeader:
			c.d.line(append(append([]seg{txt(prefix() + "http: outgoing request header " + it.key + "=\"")}, escSegs(it.val, goQuote)...), txt("\""))...)
		default:
			c.d.line(append([]seg{txt(prefix() + "error: ")}, escSegs(it.val, goQuote)...)...)
		}
	})
	c.d.line(txt("panic: runtime error: invalid memory address or nil pointer dereference"))
	c.d.line(txt(fmt.Sprintf("[signal SIGSEGV: segmentation violation code=0x1 addr=0x%x pc=0x%x]", g.n(0, 64), g.n(0x400000, 0x9fffff))))
	c.d.line(txt(""))
	c.d.line(txt(fmt.Sprintf("goroutine %d [running]:", g.n(1, 900))))
	for range g.n(2, 5) {
		c.d.line(txt(fmt.Sprintf("github.com/acme/%s/internal/%s.(*%s).%s(0xc%09x, {0x%x, 0xc%09x})", g.pick("ledger", "gateway"), g.pick("store", "api", "sync"), g.pick("Server", "Client", "Pool"), g.pick("Handle", "Do", "Get"), g.r.IntN(1<<30), g.n(0x100000, 0xffffff), g.r.IntN(1<<30))))
		c.d.line(txt(fmt.Sprintf("\t/src/internal/%s.go:%d +0x%x", g.pick("server", "client", "pool"), g.n(20, 900), g.n(16, 4000))))
	}
	c.d.line(txt("exit status 2"))
}

// --- HTTP request/response dumps (curl -v) ---

func renderHTTPDump(c *ctx, items []item) {
	g := c.g
	c.interleave(items, func() {
		host := g.pick("api.example.com", "payments.internal", "hooks.example.net")
		if g.chance(0.3) {
			ip := g.ipv4()
			c.d.line(txt("*   Trying "), lab("ip_address", ip), txt(":443..."))
			c.d.line(txt("* Connected to "+host+" ("), lab("ip_address", ip), txt(") port 443"))
		} else {
			c.d.line(txt("* Re-using existing connection with host " + host))
		}
		c.d.line(txt("> GET /v1/status HTTP/1.1"))
		c.d.line(txt("> Host: " + host))
		c.d.line(txt("> User-Agent: curl/8.5.0"))
		c.d.line(txt("> X-Request-Id: " + g.uuid()))
		c.d.line(txt(">"))
		c.d.line(txt("< HTTP/1.1 " + g.pick("200 OK", "401 Unauthorized", "503 Service Unavailable")))
		c.d.line(txt("< ETag: \"" + g.str(hexLower, 32) + "\""))
		c.d.line(txt("< X-Amzn-Trace-Id: Root=1-" + g.str(hexLower, 8) + "-" + g.str(hexLower, 24)))
		c.d.line(txt("<"))
	}, func(it item) {
		switch it.shape {
		case shapeHeader:
			if it.key == "Set-Cookie" {
				c.d.line(txt("< HTTP/1.1 200 OK"))
				c.d.line(append([]seg{txt("< Set-Cookie: ")}, it.val...)...)
				c.d.line(txt("<"))
				return
			}
			c.d.line(txt("> POST /v1/" + g.pick("charges", "messages", "repos/acme/app/dispatches", "sync") + " HTTP/1.1"))
			c.d.line(txt("> Host: api.example.com"))
			c.d.line(append([]seg{txt("> " + it.key + ": ")}, it.val...)...)
			c.d.line(txt("> Content-Type: application/json"))
			c.d.line(txt(">"))
		default:
			c.d.line(txt("> POST /v1/settings HTTP/1.1"))
			c.d.line(txt("> Content-Type: application/json"))
			c.d.line(txt(">"))
			c.d.line(jsonSegs([]kv{str("id", g.uuid()), field(it.key, it.val...)})...)
		}
	})
}

// --- env dumps ---

func renderEnvDump(c *ctx, items []item) {
	g := c.g
	c.d.line(txt("$ env | sort"))
	c.interleave(items, func() {
		k, v := g.decoyKV()
		switch g.r.IntN(4) {
		case 0:
			c.d.line(txt("HOSTNAME=" + c.host + "-" + g.str(lower+digits, 10) + "-" + g.str(lower+digits, 5)))
		case 1:
			if g.chance(0.2) {
				c.d.line(txt("TLS_CA_CERT=" + g.publicPEM()))
				return
			}
			c.d.line(txt("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"))
		case 2:
			c.d.line(txt("KUBERNETES_SERVICE_HOST="), lab("ip_address", g.ipv4()))
		default:
			c.d.line(txt(strings.ToUpper(k) + "=" + v))
		}
	}, func(it item) {
		c.d.line(append([]seg{txt(envKey(it) + "=")}, it.val...)...)
	})
}

func renderDockerInspect(c *ctx, items []item) {
	g := c.g
	var env [][]seg
	c.interleave(items, func() {
		k, v := g.decoyKV()
		env = append(env, jsonString([]seg{txt(strings.ToUpper(k) + "=" + v)}))
	}, func(it item) {
		env = append(env, jsonString(append([]seg{txt(envKey(it) + "=")}, it.val...)))
	})
	c.d.line(txt("["))
	c.d.line(txt("    {"))
	c.d.line(txt("        \"Id\": \"" + g.str(hexLower, 64) + "\","))
	c.d.line(txt("        \"Created\": \"" + c.t.Format(time.RFC3339Nano) + "\","))
	c.d.line(txt("        \"Image\": \"sha256:" + g.str(hexLower, 64) + "\","))
	c.d.line(txt("        \"Config\": {"))
	c.d.line(txt("            \"Hostname\": \"" + g.str(hexLower, 12) + "\","))
	c.d.line(txt("            \"Env\": ["))
	for i, e := range env {
		sep := ","
		if i == len(env)-1 {
			sep = ""
		}
		c.d.line(append(append([]seg{txt("                ")}, e...), txt(sep))...)
	}
	c.d.line(txt("            ],"))
	c.d.line(txt("            \"Cmd\": [\"/app/server\", \"--port=8080\"]"))
	c.d.line(txt("        },"))
	c.d.line(txt("        \"NetworkSettings\": {"))
	c.d.line(txt("            \"IPAddress\": \""), lab("ip_address", g.ipv4()), txt("\","))
	c.d.line(txt("            \"MacAddress\": \"02:42:ac:11:00:0" + fmt.Sprint(g.n(2, 9)) + "\""))
	c.d.line(txt("        }"))
	c.d.line(txt("    }"))
	c.d.line(txt("]"))
}

// --- kubectl describe pod + events ---

func renderK8s(c *ctx, items []item) {
	g := c.g
	pod := c.host + "-" + g.str(lower+digits, 10) + "-" + g.str(lower+digits, 5)
	c.d.line(txt("Name:             " + pod))
	c.d.line(txt("Namespace:        " + g.pick("prod", "payments", "default")))
	// The node name encodes its IP (EC2 style); only the address after "/" is one.
	n3, n4 := g.n(0, 255), g.n(1, 254)
	c.d.line(txt(fmt.Sprintf("Node:             ip-10-0-%d-%d.ec2.internal/", n3, n4)), lab("ip_address", fmt.Sprintf("10.0.%d.%d", n3, n4)))
	c.d.line(txt("Status:           Running"))
	c.d.line(txt("IP:               "), lab("ip_address", g.ipv4()))
	c.d.line(txt("Containers:"))
	c.d.line(txt("  app:"))
	c.d.line(txt("    Container ID:   containerd://" + g.str(hexLower, 64)))
	c.d.line(txt("    Image ID:       registry.example.com/app@sha256:" + g.str(hexLower, 64)))
	c.d.line(txt("    Environment:"))
	var texts []item
	for _, it := range items {
		if it.shape == shapeText {
			texts = append(texts, it)
			continue
		}
		for range g.n(0, 2) {
			k, v := g.decoyKV()
			c.d.line(txt("      " + strings.ToUpper(k) + ":  " + v))
		}
		c.d.line(append([]seg{txt("      " + envKey(it) + ":  ")}, it.val...)...)
	}
	c.d.line(txt("      DB_PASSWORD:  <set to the key 'password' in secret 'db-credentials'>  Optional: false"))
	c.d.line(txt("Events:"))
	c.d.line(txt("  Type     Reason     Age   From     Message"))
	c.d.line(txt("  ----     ------     ----  ----     -------"))
	c.interleave(texts, func() {
		c.d.line(txt(fmt.Sprintf("  Normal   %s  %dm   kubelet  %s", g.pick("Pulled ", "Created", "Started"), g.n(1, 59), g.decoyText())))
	}, func(it item) {
		c.d.line(append([]seg{txt(fmt.Sprintf("  Warning  BackOff    %dm   kubelet  ", g.n(1, 59)))}, it.val...)...)
	})
}

// --- PostgreSQL server log ---

func renderPostgres(c *ctx, items []item) {
	g := c.g
	prefix := func(level string) string {
		return fmt.Sprintf("%s UTC [%d] %s:  ", c.tick().Format("2006-01-02 15:04:05.000"), g.n(1000, 99999), level)
	}
	noise := func() {
		switch g.r.IntN(3) {
		case 0:
			c.d.line(txt(prefix("LOG")+"connection received: host="), lab("ip_address", g.ipv4()), txt(fmt.Sprintf(" port=%d", g.n(30000, 65000))))
		case 1:
			c.d.line(txt(prefix("LOG") + fmt.Sprintf("checkpoint complete: wrote %d buffers (%.1f%%); lsn=%X/%X", g.n(10, 9000), g.r.Float64()*10, g.n(1, 0xff), g.r.IntN(1<<30))))
		default:
			k, v := g.decoyKV()
			c.d.line(txt(prefix("LOG") + "duration: " + fmt.Sprint(g.n(1, 900)) + ".123 ms  statement: SELECT * FROM audit WHERE " + k + " = '" + v + "'"))
		}
	}
	c.interleave(items, noise, func(it item) {
		if it.shape == shapeKV {
			c.d.line(txt(prefix("ERROR") + "duplicate key value violates unique constraint \"customers_pkey\""))
			c.d.line(append(append([]seg{txt(prefix("STATEMENT") + "UPDATE customers SET " + it.key + " = '")}, escSegs(it.val, func(s string) string { return strings.ReplaceAll(s, "'", "''") })...), txt(fmt.Sprintf("' WHERE id = %d", g.n(1, 999999))))...)
			return
		}
		c.d.line(append([]seg{txt(prefix("LOG") + "statement: -- app: ")}, it.val...)...)
	})
}

// --- CI output (GitHub Actions style) ---

func renderCI(c *ctx, items []item) {
	g := c.g
	ts := func() string { return c.tick().Format("2006-01-02T15:04:05.0000000Z") + " " }
	c.d.line(txt(ts() + "##[group]Run actions/checkout@" + g.str(hexLower, 40)))
	c.d.line(txt(ts() + "##[endgroup]"))
	noise := func() {
		switch g.r.IntN(3) {
		case 0:
			c.d.line(txt(ts() + "HEAD is now at " + g.str(hexLower, 7) + " " + g.pick("fix: retry on 503", "chore: bump deps", "feat: add export")))
		case 1:
			c.d.line(txt(ts() + "#" + fmt.Sprint(g.n(2, 20)) + " sha256:" + g.str(hexLower, 64) + " " + fmt.Sprint(g.n(1, 90)) + ".2MB / 90.1MB 2.1s"))
		default:
			c.d.line(txt(ts() + g.decoyText()))
		}
	}
	c.interleave(items, noise, func(it item) {
		switch it.shape {
		case shapeKV:
			if g.chance(0.5) {
				c.d.line(txt(ts() + "##[group]Run ./scripts/deploy.sh"))
				c.d.line(txt(ts() + "env:"))
				c.d.line(append([]seg{txt(ts() + "  " + envKey(it) + ": ")}, it.val...)...)
				c.d.line(txt(ts() + "##[endgroup]"))
				return
			}
			v := it.val
			if withSpace(it) {
				v = append(append([]seg{txt("'")}, v...), txt("'"))
			}
			c.d.line(append([]seg{txt(ts() + "+ export " + envKey(it) + "=")}, v...)...)
		case shapeHeader:
			c.d.line(append(append([]seg{txt(ts() + "+ curl -fsS -H '" + it.key + ": ")}, it.val...), txt("' https://api.example.com/v1/deploy"))...)
		default:
			c.d.line(append([]seg{txt(ts())}, it.val...)...)
		}
	})
	c.d.line(txt(ts() + "##[error]Process completed with exit code " + fmt.Sprint(g.n(1, 2)) + "."))
}

// --- AI agent prompt/response logs ---

func renderAgent(c *ctx, items []item) {
	g := c.g
	model := g.pick("gpt-4o", "claude-sonnet-4", "gpt-4.1-mini", "llama-3.1-70b")
	noise := func() {
		c.d.line(jsonSegs([]kv{
			str("ts", c.tick().Format(time.RFC3339Nano)), str("event", "llm.response"), str("model", model),
			str("id", "chatcmpl-"+g.str(base62, 29)),
			field("content", txt(g.decoyText())),
			rawField("usage", jsonSegs([]kv{rawField("prompt_tokens", txt(fmt.Sprint(g.n(100, 9000)))), rawField("completion_tokens", txt(fmt.Sprint(g.n(10, 900))))})...),
		})...)
	}
	msg := func(role string, content []seg) []seg {
		return jsonSegs([]kv{str("role", role), field("content", content...)})
	}
	c.interleave(items, noise, func(it item) {
		base := []kv{str("ts", c.tick().Format(time.RFC3339Nano)), str("run_id", g.uuid()), str("model", model)}
		switch {
		case it.shape == shapeHeader || (it.shape == shapeKV && g.chance(0.4)):
			// A tool call: arguments are a JSON document inside a JSON string.
			var args []seg
			if it.shape == shapeHeader {
				args = jsonSegs([]kv{str("method", "POST"), str("url", "https://api.example.com/v1/"+g.pick("search", "tickets", "deploy")),
					rawField("headers", jsonSegs([]kv{field(it.key, it.val...)})...)})
			} else {
				args = jsonSegs([]kv{str("path", "/etc/app/config.json"), field(it.key, it.val...)})
			}
			call := jsonSegs([]kv{str("id", "call_"+g.str(base62, 24)), str("type", "function"),
				rawField("function", jsonSegs([]kv{str("name", g.pick("http_request", "write_config", "run_tool")), rawField("arguments", jsonString(args)...)})...)})
			c.d.line(jsonSegs(append(base, str("event", "llm.tool_call"), rawField("tool_calls", jsonArr(call)...)))...)
		case it.shape == shapeKV:
			content := append([]seg{txt("Deploy keeps failing, here is my .env:\n" + "LOG_LEVEL=debug\n" + envKey(it) + "=")}, it.val...)
			content = append(content, txt("\nPORT=8080\nWhat is wrong?"))
			c.d.line(jsonSegs(append(base, str("event", "llm.request"),
				rawField("messages", jsonArr(msg("system", []seg{txt("You are a helpful DevOps assistant.")}), msg("user", content))...)))...)
		default:
			content := append([]seg{txt("The tool returned:\n")}, it.val...)
			c.d.line(jsonSegs(append(base, str("event", "llm.request"),
				rawField("messages", jsonArr(msg("tool", content))...)))...)
		}
	})
}

// --- YAML config dumps (helm get values, Spring Boot config) ---

// yamlValue renders a value for "key: <value>": plain when safe, a block
// scalar for multi-line values, double-quoted otherwise.
func yamlValue(v []seg, indent string) []seg {
	s := segsText(v)
	switch {
	case strings.Contains(s, "\n"):
		out := []seg{txt("|\n" + indent)}
		for _, x := range v {
			out = append(out, seg{typ: x.typ, text: strings.ReplaceAll(x.text, "\n", "\n"+indent)})
		}
		return out
	case s != "" && !strings.ContainsAny(s, ":#'\"{}[],&*!|>%@`") && !strings.HasPrefix(s, "-") && !strings.HasPrefix(s, " "):
		return v
	default:
		return append(append([]seg{txt(`"`)}, escSegs(v, goQuote)...), txt(`"`))
	}
}

func renderYAML(c *ctx, items []item) {
	g := c.g
	c.d.line(txt(fmt.Sprintf("$ helm get values %s -n %s", c.host, g.pick("prod", "staging"))))
	c.d.line(txt("USER-SUPPLIED VALUES:"))
	c.d.line(txt("replicaCount: " + fmt.Sprint(g.n(1, 6))))
	c.d.line(txt("image:"))
	c.d.line(txt("  repository: registry.example.com/" + c.host))
	c.d.line(txt(fmt.Sprintf("  tag: %d.%d.%d", g.n(1, 9), g.n(0, 40), g.n(0, 20))))
	c.d.line(txt("  digest: sha256:" + g.str(hexLower, 64)))
	var headers, texts []item
	if g.chance(0.4) {
		c.d.line(append([]seg{txt("caCert: ")}, yamlValue([]seg{txt(g.publicPEM())}, "  ")...)...)
	}
	c.d.line(txt("config:"))
	c.interleave(items, func() {
		k, v := g.decoyKV()
		c.d.line(append([]seg{txt("  " + k + ": ")}, yamlValue([]seg{txt(v)}, "    ")...)...)
	}, func(it item) {
		switch it.shape {
		case shapeHeader:
			headers = append(headers, it)
		case shapeText:
			texts = append(texts, it)
		default:
			c.d.line(append([]seg{txt("  " + it.key + ": ")}, yamlValue(it.val, "    ")...)...)
		}
	})
	if len(headers) > 0 {
		c.d.line(txt("webhook:"))
		c.d.line(txt("  url: https://hooks.example.net/deploy"))
		c.d.line(txt("  headers:"))
		for _, it := range headers {
			c.d.line(append([]seg{txt("    " + it.key + ": ")}, yamlValue(it.val, "      ")...)...)
		}
	}
	if len(texts) > 0 {
		c.d.line(txt("lastErrors:"))
		for _, it := range texts {
			c.d.line(append([]seg{txt("  - ")}, yamlValue(it.val, "    ")...)...)
		}
	}
}

// --- IIS W3C extended logs ---

func renderIIS(c *ctx, items []item) {
	g := c.g
	c.d.line(txt("#Software: Microsoft Internet Information Services 10.0"))
	c.d.line(txt("#Version: 1.0"))
	c.d.line(txt("#Date: " + c.t.Format("2006-01-02 15:04:05")))
	c.d.line(txt("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Cookie) sc-status sc-substatus sc-win32-status time-taken"))
	server := g.ipv4()
	plus := func(s string) string { return strings.ReplaceAll(s, " ", "+") }
	row := func(query, cookie []seg) {
		if len(query) == 0 {
			query = []seg{txt("-")}
		}
		if len(cookie) == 0 {
			cookie = []seg{txt("-")}
		}
		segs := []seg{txt(c.tick().Format("2006-01-02 15:04:05") + " "), lab("ip_address", server),
			txt(" " + g.pick("GET", "POST") + " " + g.pick("/default.aspx", "/api/orders", "/login.aspx", "/owa/auth.owa") + " ")}
		segs = append(segs, query...)
		segs = append(segs, txt(" 443 - "), lab("ip_address", g.ipv4()),
			txt(" "+plus(g.pick(uas...))+" "))
		segs = append(segs, escSegs(cookie, plus)...)
		segs = append(segs, txt(fmt.Sprintf(" %s 0 0 %d", g.pick("200", "302", "401", "500"), g.n(1, 9000))))
		c.d.line(segs...)
	}
	c.interleave(items, func() {
		if g.chance(0.5) { // two addresses a row: keep IPs from swamping the corpus
			return
		}
		var q []seg
		if g.chance(0.4) {
			k, v := g.decoyKV()
			if !strings.ContainsAny(v, " <>{}$/()[]*") {
				q = []seg{txt(k + "=" + v)}
			}
		}
		row(q, []seg{txt("_ga=GA1.2." + g.str(digits, 10) + "." + g.str(digits, 10))})
	}, func(it item) {
		if it.shape == shapeHeader {
			row(nil, it.val)
			return
		}
		row(append([]seg{txt("id=" + fmt.Sprint(g.n(1, 99999)) + "&" + it.key + "=")}, it.val...), nil)
	})
}
