package main

import "fmt"

// Routine lines that surround every incident in real uploads: health checks,
// request logs, periodic jobs. They are what the excerpt step has to see past.

var services = []string{"checkout-api", "orders-svc", "billing-worker", "catalog-api", "user-svc", "notify-worker", "search-api", "gateway"}

func (b *builder) svc() string { return b.pick(services...) }

var okPaths = []string{"/healthz", "/readyz", "/api/v1/orders", "/api/v1/cart", "/api/v2/products?page=2", "/metrics", "/api/v1/users/me", "/static/app.js"}

// jsonInfo is a structured (zap/zerolog style) routine line.
func (b *builder) jsonInfo(svc string) {
	switch b.r.Intn(3) {
	case 0:
		b.add(fmt.Sprintf(`{"ts":"%s","level":"info","service":"%s","msg":"request completed","method":"GET","path":"%s","status":200,"duration_ms":%d}`,
			b.iso(), svc, b.pick(okPaths...), b.between(1, 80)))
	case 1:
		b.add(fmt.Sprintf(`{"ts":"%s","level":"info","service":"%s","msg":"health check ok","component":"probe"}`, b.iso(), svc))
	default:
		b.add(fmt.Sprintf(`{"ts":"%s","level":"debug","service":"%s","msg":"cache stats","hits":%d,"misses":%d}`,
			b.iso(), svc, b.between(1000, 90000), b.between(10, 900)))
	}
}

// logfmtInfo is a logfmt (logrus/go-kit style) routine line.
func (b *builder) logfmtInfo(svc string) {
	switch b.r.Intn(3) {
	case 0:
		b.add(fmt.Sprintf(`time=%s level=info service=%s msg="handled request" method=%s path=%s status=%s dur=%dms`,
			b.iso(), svc, b.pick("GET", "POST"), b.pick(okPaths...), b.pick("200", "200", "201", "204"), b.between(2, 120)))
	case 1:
		b.add(fmt.Sprintf(`time=%s level=info service=%s msg="pool stats" open=%d idle=%d in_use=%d`,
			b.iso(), svc, b.between(10, 40), b.between(2, 10), b.between(1, 20)))
	default:
		b.add(fmt.Sprintf(`time=%s level=debug service=%s msg="tick" job=metrics-flush`, b.iso(), svc))
	}
}

// accessLine is an nginx combined-format access line from a private client.
func (b *builder) accessLine(status int, path string) {
	b.add(fmt.Sprintf(`%s - - [%s] "%s %s HTTP/1.1" %d %d "-" "%s"`,
		b.privateIP(), b.nginxTS(), b.pick("GET", "GET", "POST"), path, status, b.between(120, 18000),
		b.pick("kube-probe/1.29", "Mozilla/5.0 (X11; Linux x86_64)", "okhttp/4.12.0", "python-requests/2.31.0", "curl/8.5.0")))
}

func (b *builder) accessOK() { b.accessLine(200, b.pick(okPaths...)) }

// javaInfo is a logback/log4j routine line.
func (b *builder) javaInfo(class string) {
	b.add(fmt.Sprintf("%s INFO  [%s] %s - %s", b.javaTS(), b.pick("http-nio-8080-exec-3", "http-nio-8080-exec-7", "scheduling-1", "main"),
		class, b.pick("Completed 200 OK in 14ms", "Scheduled task refreshCache finished", "HikariPool-1 - Pool stats (total=20, active=3, idle=17, waiting=0)", "Received request GET /actuator/health")))
}

// pyInfo is a Python logging routine line.
func (b *builder) pyInfo(logger string) {
	b.add(fmt.Sprintf("%s INFO %s: %s", b.javaTS(), logger, b.pick("task heartbeat ok", "processed batch size=100", "GET /health 200", "connected to broker amqp://rabbitmq:5672//")))
}

// syslogInfo is a routine syslog line from a Linux host.
func (b *builder) syslogInfo(host string) {
	switch b.r.Intn(3) {
	case 0:
		b.add(fmt.Sprintf("%s %s systemd[1]: Started Session %d of user deploy.", b.syslogTS(), host, b.between(100, 9000)))
	case 1:
		b.add(fmt.Sprintf("%s %s CRON[%d]: (root) CMD (/usr/local/bin/rotate-logs.sh)", b.syslogTS(), host, b.between(1000, 60000)))
	default:
		b.add(fmt.Sprintf("%s %s systemd-timesyncd[%d]: Synchronized to time server (ntp.ubuntu.com).", b.syslogTS(), host, b.between(300, 900)))
	}
}

// pgInfo is a routine PostgreSQL server line.
func (b *builder) pgInfo() {
	pid := b.between(1000, 60000)
	switch b.r.Intn(3) {
	case 0:
		b.add(fmt.Sprintf("%s [%d] LOG:  checkpoint starting: time", b.pgTS(), pid))
	case 1:
		b.add(fmt.Sprintf("%s [%d] LOG:  checkpoint complete: wrote %d buffers (%.1f%%); 0 WAL file(s) added, 0 removed, 1 recycled; write=%.3f s, sync=0.004 s, total=%.3f s",
			b.pgTS(), pid, b.between(20, 4000), float64(b.between(1, 90))/10, float64(b.between(100, 27000))/1000, float64(b.between(100, 27000))/1000))
	default:
		b.add(fmt.Sprintf("%s [%d] LOG:  automatic vacuum of table \"app.public.%s\": index scans: 1", b.pgTS(), pid, b.pick("orders", "sessions", "events", "line_items")))
	}
}

// k8sEventHeader starts a `kubectl get events` dump.
func (b *builder) k8sEventHeader() {
	b.add("LAST SEEN   TYPE      REASON              OBJECT                                MESSAGE")
}

func (b *builder) k8sEvent(age, typ, reason, object, msg string) {
	b.add(fmt.Sprintf("%-11s %-9s %-19s %-37s %s", age, typ, reason, object, msg))
}

// noise writes n routine lines in one of the builder's formats.
func (b *builder) noise(n int, line func()) {
	for i := 0; i < n; i++ {
		line()
	}
}
