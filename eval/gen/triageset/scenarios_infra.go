package main

import "fmt"

// scenario is one kind of incident as a senior support engineer would label
// it. Each is rendered several times with different hosts, counts, timings
// and noise; the copies share a family so similar-incident recall can be
// measured on this set too.
type scenario struct {
	family   string
	category string // the queue follows from it (queueFor)
	severity string
	skills   []string
	copies   int
	build    func(b *builder)
}

func databaseScenarios() []scenario {
	return []scenario{
		{"pg-connection-refused", "database", "high", []string{"databases", "postgresql"}, 3, func(b *builder) {
			svc := b.svc()
			b.noise(b.between(4, 9), func() { b.jsonInfo(svc) })
			host := b.privateIP()
			for i := 0; i < b.between(6, 14); i++ {
				b.add(fmt.Sprintf(`{"ts":"%s","level":"error","service":"%s","msg":"query failed","error":"dial tcp %s:5432: connect: connection refused","path":"/api/v1/orders","request_id":"%s"}`, b.iso(), svc, host, b.reqID()))
				if i%3 == 0 {
					b.add(fmt.Sprintf(`{"ts":"%s","level":"warn","service":"%s","msg":"responding 503","path":"/api/v1/orders","status":503}`, b.iso(), svc))
				}
			}
			b.key(fmt.Sprintf(`{"ts":"%s","level":"error","service":"%s","msg":"database unavailable, readiness probe failing","db":"orders","attempts":%d}`, b.iso(), svc, b.between(20, 60)))
			b.noise(b.between(1, 3), func() { b.jsonInfo(svc) })
		}},
		{"pg-too-many-clients", "database", "high", []string{"databases", "postgresql"}, 3, func(b *builder) {
			b.noise(b.between(3, 6), b.pgInfo)
			for i := 0; i < b.between(5, 12); i++ {
				line := fmt.Sprintf("%s [%d] FATAL:  sorry, too many clients already", b.pgTS(), b.between(1000, 60000))
				if i == 0 {
					b.key(line)
				} else {
					b.add(line)
				}
				if i%2 == 1 {
					b.add(fmt.Sprintf("%s [%d] FATAL:  remaining connection slots are reserved for non-replication superuser connections", b.pgTS(), b.between(1000, 60000)))
				}
			}
			b.add(fmt.Sprintf("%s [%d] LOG:  connection received: host=%s port=%d", b.pgTS(), b.between(1000, 60000), b.privateIP(), b.between(30000, 60000)))
			b.noise(b.between(1, 3), b.pgInfo)
		}},
		{"pg-deadlock", "database", "medium", []string{"databases", "postgresql"}, 3, func(b *builder) {
			b.noise(b.between(3, 6), b.pgInfo)
			for i := 0; i < b.between(2, 4); i++ {
				p1, p2 := b.between(1000, 60000), b.between(1000, 60000)
				line := fmt.Sprintf("%s [%d] ERROR:  deadlock detected", b.pgTS(), p1)
				if i == 0 {
					b.key(line)
				} else {
					b.add(line)
				}
				b.add(fmt.Sprintf("%s [%d] DETAIL:  Process %d waits for ShareLock on transaction %d; blocked by process %d.", b.pgTS(), p1, p1, b.between(100000, 999999), p2))
				b.add(fmt.Sprintf("\tProcess %d waits for ShareLock on transaction %d; blocked by process %d.", p2, b.between(100000, 999999), p1))
				b.add(fmt.Sprintf("%s [%d] HINT:  See server log for query details.", b.pgTS(), p1))
				b.add(fmt.Sprintf("%s [%d] STATEMENT:  UPDATE inventory SET reserved = reserved + 1 WHERE sku = $1", b.pgTS(), p1))
				b.noise(b.between(2, 5), b.pgInfo)
			}
		}},
		{"pg-replication-lag", "database", "medium", []string{"databases", "postgresql"}, 2, func(b *builder) {
			b.noise(b.between(2, 5), b.pgInfo)
			lag := b.between(20, 60)
			for i := 0; i < b.between(5, 9); i++ {
				b.add(fmt.Sprintf(`time=%s level=warn component=replica-monitor msg="replication lag above threshold" replica=pg-replica-%d lag_seconds=%d threshold=10`, b.iso(), b.between(1, 3), lag))
				lag += b.between(15, 90)
			}
			b.key(fmt.Sprintf(`time=%s level=warn component=read-router msg="replica lagging, routing reads to primary" lag_seconds=%d`, b.iso(), lag))
			b.noise(b.between(1, 3), b.pgInfo)
		}},
		{"pg-primary-down-failover-failed", "database", "critical", []string{"databases", "postgresql"}, 2, func(b *builder) {
			b.noise(b.between(2, 4), b.pgInfo)
			b.add(fmt.Sprintf("%s [%d] LOG:  received immediate shutdown request", b.pgTS(), b.between(1, 60)))
			b.add(fmt.Sprintf(`time=%s level=error component=patroni msg="primary pg-main-0 is unreachable"`, b.iso()))
			b.key(fmt.Sprintf(`time=%s level=error component=patroni msg="failover failed: no healthy synchronous standby, cluster has no leader"`, b.iso()))
			for i := 0; i < b.between(5, 10); i++ {
				b.add(fmt.Sprintf(`time=%s level=error service=%s msg="write failed" err="FATAL: the database system is shutting down" request_id=%s`, b.iso(), b.svc(), b.reqID()))
			}
			b.add(fmt.Sprintf(`time=%s level=error service=gateway msg="error rate 100%%: all writes failing" window=5m`, b.iso()))
		}},
		{"pg-data-corruption", "database", "critical", []string{"databases", "postgresql"}, 2, func(b *builder) {
			b.noise(b.between(3, 6), b.pgInfo)
			blk := b.between(1000, 90000)
			b.key(fmt.Sprintf(`%s [%d] ERROR:  invalid page in block %d of relation base/16384/24577`, b.pgTS(), b.between(1000, 60000), blk))
			b.add(fmt.Sprintf(`%s [%d] STATEMENT:  SELECT * FROM payments WHERE account_id = $1`, b.pgTS(), b.between(1000, 60000)))
			b.add(fmt.Sprintf(`%s [%d] ERROR:  could not read block %d in file "base/16384/24577": read only 0 of 8192 bytes`, b.pgTS(), b.between(1000, 60000), blk+1))
			b.add(fmt.Sprintf(`%s [%d] WARNING:  page verification failed, calculated checksum %d but expected %d`, b.pgTS(), b.between(1000, 60000), b.between(1000, 65000), b.between(1000, 65000)))
			b.noise(b.between(1, 3), b.pgInfo)
		}},
		{"mysql-too-many-connections", "database", "high", []string{"databases", "mysql"}, 2, func(b *builder) {
			for i := 0; i < b.between(3, 6); i++ {
				b.add(fmt.Sprintf("%s 0 [Note] [MY-010914] [Server] Aborted connection %d to db: 'shop' user: 'app' host: '%s' (Got timeout reading communication packets).", b.mysqlTS(), b.between(1000, 90000), b.privateIP()))
			}
			for i := 0; i < b.between(4, 9); i++ {
				line := fmt.Sprintf("%s [%s] ERROR 1040 (08004): Too many connections", b.javaTS(), b.pick("php-fpm", "worker-2", "worker-5"))
				if i == 0 {
					b.key(line)
				} else {
					b.add(line)
				}
			}
			b.add(fmt.Sprintf(`%s - - [%s] "GET /cart HTTP/1.1" 500 312 "-" "Mozilla/5.0"`, b.publicIP(), b.nginxTS()))
		}},
		{"mysql-deadlock-retried", "database", "low", []string{"databases", "mysql"}, 2, func(b *builder) {
			svc := b.svc()
			b.noise(b.between(4, 8), func() { b.logfmtInfo(svc) })
			b.key(fmt.Sprintf(`time=%s level=warn service=%s msg="transaction retry" err="Error 1213 (40001): Deadlock found when trying to get lock; try restarting transaction" attempt=1`, b.iso(), svc))
			b.add(fmt.Sprintf(`time=%s level=info service=%s msg="transaction committed after retry" attempt=2`, b.iso(), svc))
			b.noise(b.between(4, 8), func() { b.logfmtInfo(svc) })
		}},
		{"pg-slow-queries", "database", "low", []string{"databases", "postgresql"}, 2, func(b *builder) {
			b.noise(b.between(3, 6), b.pgInfo)
			for i := 0; i < b.between(2, 4); i++ {
				line := fmt.Sprintf(`%s [%d] LOG:  duration: %d.%03d ms  statement: SELECT o.* FROM orders o JOIN line_items li ON li.order_id = o.id WHERE o.created_at > now() - interval '30 days'`, b.pgTS(), b.between(1000, 60000), b.between(2000, 9000), b.between(0, 999))
				if i == 0 {
					b.key(line)
				} else {
					b.add(line)
				}
				b.noise(b.between(1, 3), b.pgInfo)
			}
		}},
		{"hikari-pool-exhausted", "database", "high", []string{"databases", "java"}, 2, func(b *builder) {
			b.noise(b.between(3, 6), func() { b.javaInfo("o.s.web.servlet.DispatcherServlet") })
			for i := 0; i < b.between(3, 6); i++ {
				line := fmt.Sprintf("%s ERROR [http-nio-8080-exec-%d] o.h.engine.jdbc.spi.SqlExceptionHelper - HikariPool-1 - Connection is not available, request timed out after 30000ms.", b.javaTS(), b.between(1, 40))
				if i == 0 {
					b.key(line)
				} else {
					b.add(line)
				}
				b.add("org.springframework.dao.DataAccessResourceFailureException: Unable to acquire JDBC Connection")
				b.add("\tat org.springframework.orm.jpa.vendor.HibernateJpaDialect.convertHibernateAccessException(HibernateJpaDialect.java:277)")
				b.add("\tat com.example.orders.OrderRepository.findByCustomer(OrderRepository.java:58)")
				b.add("Caused by: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms.")
			}
			b.add(fmt.Sprintf("%s WARN  [HikariPool-1 housekeeper] com.zaxxer.hikari.pool.HikariPool - HikariPool-1 - Thread starvation or clock leap detected (housekeeper delta=1m2s).", b.javaTS()))
		}},
		{"redis-readonly-replica", "database", "high", []string{"databases", "redis"}, 2, func(b *builder) {
			b.noise(b.between(3, 5), func() { b.pyInfo("celery.worker") })
			for i := 0; i < b.between(3, 6); i++ {
				b.add(fmt.Sprintf("%s ERROR session.store: failed to persist session", b.javaTS()))
				b.add("Traceback (most recent call last):")
				b.add(`  File "/app/session/store.py", line 88, in save`)
				b.add("    self.client.setex(key, ttl, payload)")
				line := "redis.exceptions.ReadOnlyError: You can't write against a read only replica."
				if i == 0 {
					b.key(line)
				} else {
					b.add(line)
				}
			}
			b.add(fmt.Sprintf("%s WARNING web: login failed for user, session not saved (status=500)", b.javaTS()))
		}},
	}
}

func networkScenarios() []scenario {
	return []scenario{
		{"dns-nxdomain", "network", "high", []string{"networking"}, 3, func(b *builder) {
			svc := b.svc()
			b.noise(b.between(3, 7), func() { b.logfmtInfo(svc) })
			target := b.pick("payments-api.internal", "inventory.svc.cluster.local", "auth.corp.internal", "api.partner.example.com")
			resolver := b.privateIP()
			for i := 0; i < b.between(6, 12); i++ {
				line := fmt.Sprintf(`time=%s level=error service=%s msg="upstream call failed" err="dial tcp: lookup %s on %s:53: no such host"`, b.iso(), svc, target, resolver)
				b.add(line)
			}
			b.key(fmt.Sprintf(`time=%s level=error service=%s msg="circuit breaker open" upstream=%s failures=%d`, b.iso(), svc, target, b.between(20, 80)))
		}},
		{"dns-timeouts-intermittent", "network", "medium", []string{"networking"}, 2, func(b *builder) {
			svc := b.svc()
			for i := 0; i < b.between(3, 5); i++ {
				b.noise(b.between(2, 4), func() { b.jsonInfo(svc) })
				line := fmt.Sprintf(`{"ts":"%s","level":"warn","service":"%s","msg":"dns lookup slow, retrying","host":"db.internal","error":"read udp %s:%d->%s:53: i/o timeout"}`, b.iso(), svc, b.privateIP(), b.between(30000, 60000), b.privateIP())
				if i == 0 {
					b.key(fmt.Sprintf(`{"ts":"%s","level":"warn","service":"%s","msg":"dns resolution intermittently timing out","timeouts_last_5m":%d}`, b.iso(), svc, b.between(5, 40)))
				}
				b.add(line)
			}
		}},
		{"nginx-upstream-reset-502", "network", "high", []string{"networking", "nginx"}, 3, func(b *builder) {
			b.noise(b.between(3, 6), b.accessOK)
			up := b.privateIP()
			for i := 0; i < b.between(5, 10); i++ {
				line := fmt.Sprintf(`%s [error] %d#%d: *%d recv() failed (104: Connection reset by peer) while reading response header from upstream, client: %s, server: api.example.com, request: "POST /api/v1/checkout HTTP/1.1", upstream: "http://%s:8080/api/v1/checkout"`, b.nginxErrTS(), b.between(10, 99), 0, b.between(10000, 999999), b.publicIP(), up)
				if i == 0 {
					b.key(fmt.Sprintf(`%s [error] 31#0: upstream checkout_backend has no live servers left`, b.nginxErrTS()))
				}
				b.add(line)
				b.accessLine(502, "/api/v1/checkout")
			}
		}},
		{"tls-handshake-external", "network", "high", []string{"networking", "tls"}, 2, func(b *builder) {
			svc := b.svc()
			b.noise(b.between(3, 6), func() { b.jsonInfo(svc) })
			for i := 0; i < b.between(4, 8); i++ {
				b.add(fmt.Sprintf(`{"ts":"%s","level":"error","service":"%s","msg":"partner API call failed","url":"https://api.partner.example.com/v2/shipments","error":"remote error: tls: handshake failure"}`, b.iso(), svc))
			}
			b.key(fmt.Sprintf(`{"ts":"%s","level":"error","service":"%s","msg":"TLS handshake with api.partner.example.com failed: server requires TLS 1.3, client max TLS 1.2"}`, b.iso(), svc))
			b.add(fmt.Sprintf(`{"ts":"%s","level":"warn","service":"%s","msg":"shipment labels queued for retry","queued":%d}`, b.iso(), svc, b.between(30, 400)))
		}},
		{"upstream-timeouts", "network", "medium", []string{"networking"}, 3, func(b *builder) {
			svc := b.svc()
			for i := 0; i < b.between(3, 6); i++ {
				b.noise(b.between(2, 5), func() { b.logfmtInfo(svc) })
				b.add(fmt.Sprintf(`time=%s level=warn service=%s msg="upstream request timed out, retrying" upstream=http://inventory:8080 err="context deadline exceeded (Client.Timeout exceeded while awaiting headers)" attempt=%d`, b.iso(), svc, b.between(1, 2)))
			}
			b.key(fmt.Sprintf(`time=%s level=warn service=%s msg="p99 latency degraded" upstream=inventory p99_ms=%d slo_ms=500`, b.iso(), svc, b.between(2200, 6000)))
			b.noise(b.between(1, 3), func() { b.logfmtInfo(svc) })
		}},
		{"lb-all-targets-unhealthy", "network", "critical", []string{"networking"}, 2, func(b *builder) {
			b.noise(b.between(2, 4), b.accessOK)
			for i := 0; i < b.between(3, 5); i++ {
				b.add(fmt.Sprintf(`%s haproxy[%d]: Server web_back/web%d is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. %d active and 0 backup servers left.`, b.syslogTS(), b.between(1000, 9000), i+1, 3-i%3))
			}
			b.key(fmt.Sprintf(`%s haproxy[%d]: backend web_back has no server available!`, b.syslogTS(), b.between(1000, 9000)))
			for i := 0; i < b.between(5, 9); i++ {
				b.add(fmt.Sprintf(`%s haproxy[%d]: %s:%d [%s] web_front web_back/<NOSRV> 0/-1/-1/-1/0 503 217 - - SC-- 412/412/0/0/0 0/0 "GET / HTTP/1.1"`, b.syslogTS(), b.between(1000, 9000), b.publicIP(), b.between(30000, 60000), b.nginxTS()))
			}
		}},
		{"no-route-to-host", "network", "high", []string{"networking"}, 2, func(b *builder) {
			svc := b.svc()
			b.noise(b.between(3, 5), func() { b.jsonInfo(svc) })
			for i := 0; i < b.between(5, 9); i++ {
				b.add(fmt.Sprintf(`{"ts":"%s","level":"error","service":"%s","msg":"replication stream failed","peer":"%s:9092","error":"dial tcp: connect: no route to host"}`, b.iso(), svc, b.privateIP()))
			}
			b.key(fmt.Sprintf(`{"ts":"%s","level":"error","service":"%s","msg":"lost connectivity to all brokers in us-east-1b","unreachable":3}`, b.iso(), svc))
		}},
		{"envoy-upstream-connect-error", "network", "high", []string{"networking"}, 2, func(b *builder) {
			for i := 0; i < b.between(6, 11); i++ {
				status, flags := "200", "-"
				if i%2 == 1 {
					status, flags = "503", "UF,URX"
				}
				b.add(fmt.Sprintf(`[%s] "GET /api/v1/profile HTTP/1.1" %s %s 0 %d %d "%s" "okhttp/4.12.0" "%s" "api.example.com" "%s:8080"`, b.iso(), status, flags, b.between(20, 900), b.between(1, 900), b.publicIP(), b.hex(8)+"-"+b.hex(4), b.privateIP()))
			}
			b.key("upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: delayed connect error: 111")
		}},
		{"conn-reset-once-retried", "network", "low", []string{"networking"}, 2, func(b *builder) {
			svc := b.svc()
			b.noise(b.between(5, 9), func() { b.jsonInfo(svc) })
			b.key(fmt.Sprintf(`{"ts":"%s","level":"warn","service":"%s","msg":"request to search-api failed, retrying","upstream":"search-api:9200","error":"read: connection reset by peer","attempt":1}`, b.iso(), svc))
			b.add(fmt.Sprintf(`{"ts":"%s","level":"info","service":"%s","msg":"retry succeeded","attempt":2}`, b.iso(), svc))
			b.noise(b.between(4, 8), func() { b.jsonInfo(svc) })
		}},
	}
}

func storageScenarios() []scenario {
	return []scenario{
		{"disk-full-enospc", "storage", "high", []string{"storage"}, 3, func(b *builder) {
			svc := b.svc()
			b.noise(b.between(3, 6), func() { b.logfmtInfo(svc) })
			b.add(fmt.Sprintf(`time=%s level=warn service=%s msg="disk usage high" mount=/var/lib/uploads used_pct=97`, b.iso(), svc))
			for i := 0; i < b.between(4, 8); i++ {
				line := fmt.Sprintf(`time=%s level=error service=%s msg="failed to store upload" err="write /var/lib/uploads/tmp/%s.part: no space left on device"`, b.iso(), svc, b.hex(12))
				b.add(line)
			}
			b.key(fmt.Sprintf(`time=%s level=error service=%s msg="uploads failing: volume full" mount=/var/lib/uploads free_bytes=0`, b.iso(), svc))
		}},
		{"disk-usage-warning", "storage", "low", []string{"storage"}, 2, func(b *builder) {
			host := b.nodeName()
			b.noise(b.between(3, 6), func() { b.syslogInfo(host) })
			b.key(fmt.Sprintf(`%s %s node_exporter-alert[%d]: WARNING filesystem /var/log at %d%% capacity (threshold 80%%)`, b.syslogTS(), host, b.between(100, 9000), b.between(81, 86)))
			b.noise(b.between(2, 4), func() { b.syslogInfo(host) })
		}},
		{"disk-filling-fast", "storage", "low", []string{"storage"}, 2, func(b *builder) {
			svc := b.svc()
			pct := b.between(86, 89)
			for i := 0; i < b.between(4, 6); i++ {
				b.noise(b.between(1, 3), func() { b.jsonInfo(svc) })
				b.add(fmt.Sprintf(`{"ts":"%s","level":"warn","service":"%s","msg":"volume usage rising","mount":"/data","used_pct":%d}`, b.iso(), svc, pct))
				pct += b.between(1, 2)
			}
			b.key(fmt.Sprintf(`{"ts":"%s","level":"warn","service":"%s","msg":"volume projected full within 6h","mount":"/data","used_pct":%d}`, b.iso(), svc, pct))
		}},
		{"s3-access-denied", "storage", "high", []string{"storage"}, 3, func(b *builder) {
			svc := b.svc()
			b.noise(b.between(3, 6), func() { b.jsonInfo(svc) })
			for i := 0; i < b.between(3, 6); i++ {
				b.add(fmt.Sprintf(`{"ts":"%s","level":"error","service":"%s","msg":"PutObject failed","bucket":"acme-invoices-prod","key":"2026/%s.pdf","error":"AccessDenied: Access Denied\n\tstatus code: 403, request id: %s"}`, b.iso(), svc, b.hex(10), b.hex(16)))
			}
			b.add(fmt.Sprintf(`{"ts":"%s","level":"debug","service":"%s","msg":"aws credentials in use","access_key_id":"%s","source":"env"}`, b.iso(), svc, b.awsKeyID()))
			b.key(fmt.Sprintf(`{"ts":"%s","level":"error","service":"%s","msg":"invoice export halted after repeated AccessDenied from S3","bucket":"acme-invoices-prod"}`, b.iso(), svc))
		}},
		{"ebs-io-errors", "storage", "critical", []string{"storage", "linux"}, 2, func(b *builder) {
			host := b.nodeName()
			b.noise(b.between(2, 4), func() { b.syslogInfo(host) })
			sector := b.between(100000, 9000000)
			for i := 0; i < b.between(3, 6); i++ {
				b.add(fmt.Sprintf(`%s %s kernel: [%d.%06d] blk_update_request: I/O error, dev nvme1n1, sector %d op 0x1:(WRITE) flags 0x800 phys_seg 1 prio class 0`, b.syslogTS(), host, b.between(1000, 900000), b.between(0, 999999), sector+i*8))
				b.add(fmt.Sprintf(`%s %s kernel: [%d.%06d] Buffer I/O error on dev nvme1n1, logical block %d, lost async page write`, b.syslogTS(), host, b.between(1000, 900000), b.between(0, 999999), sector/8+i))
			}
			b.key(fmt.Sprintf(`%s %s kernel: [%d.%06d] EXT4-fs error (device nvme1n1): ext4_journal_check_start:83: Detected aborted journal`, b.syslogTS(), host, b.between(1000, 900000), b.between(0, 999999)))
			b.add(fmt.Sprintf(`%s %s kernel: [%d.%06d] EXT4-fs (nvme1n1): Remounting filesystem read-only`, b.syslogTS(), host, b.between(1000, 900000), b.between(0, 999999)))
		}},
		{"nfs-stale-handle", "storage", "medium", []string{"storage", "linux"}, 2, func(b *builder) {
			host := b.nodeName()
			b.noise(b.between(3, 5), func() { b.syslogInfo(host) })
			for i := 0; i < b.between(3, 6); i++ {
				b.add(fmt.Sprintf(`%s %s report-builder[%d]: ERROR reading /mnt/shared/reports/%s.csv: Stale file handle`, b.syslogTS(), host, b.between(1000, 9000), b.hex(8)))
			}
			b.key(fmt.Sprintf(`%s %s kernel: NFS: server %s not responding, still trying`, b.syslogTS(), host, "nfs01.internal"))
			b.add(fmt.Sprintf(`%s %s kernel: NFS: server %s OK`, b.syslogTS(), host, "nfs01.internal"))
		}},
		{"s3-slowdown-throttled", "storage", "medium", []string{"storage"}, 2, func(b *builder) {
			for i := 0; i < b.between(4, 8); i++ {
				b.pyInfo("backup.sync")
				b.add(fmt.Sprintf("%s WARNING botocore.retryhandler: Retry needed, retrying request after delay of %.2f: SlowDown: Please reduce your request rate. (status 503)", b.javaTS(), float64(b.between(10, 400))/100))
			}
			b.key(fmt.Sprintf("%s WARNING backup.sync: throughput degraded by S3 throttling, sync %d%% behind schedule", b.javaTS(), b.between(20, 60)))
		}},
		{"inode-exhaustion", "storage", "high", []string{"storage", "linux"}, 2, func(b *builder) {
			host := b.nodeName()
			b.noise(b.between(2, 4), func() { b.syslogInfo(host) })
			for i := 0; i < b.between(3, 6); i++ {
				b.add(fmt.Sprintf(`%s %s php-fpm[%d]: PHP Warning:  session_start(): open(/var/lib/php/sessions/sess_%s, O_RDWR) failed: No space left on device (28)`, b.syslogTS(), host, b.between(1000, 9000), b.hex(26)))
			}
			b.key(fmt.Sprintf(`%s %s disk-monitor[%d]: CRITICAL /var inodes 100%% used (0 free) while blocks only 41%% used`, b.syslogTS(), host, b.between(1000, 9000)))
		}},
		{"backup-failed", "storage", "medium", []string{"storage"}, 2, func(b *builder) {
			b.noise(b.between(2, 4), func() { b.pyInfo("backup.runner") })
			b.add(fmt.Sprintf("%s ERROR backup.runner: snapshot of volume vol-%s failed: SnapshotCreationPerVolumeRateExceeded", b.javaTS(), b.hex(17)))
			b.key(fmt.Sprintf("%s ERROR backup.runner: nightly backup FAILED for 3 consecutive nights; last good backup is %d days old", b.javaTS(), b.between(3, 5)))
		}},
	}
}
