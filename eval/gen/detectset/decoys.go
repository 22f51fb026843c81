package detectset

import (
	"encoding/pem"
	"fmt"
	"strings"
)

// Decoys look like findings and are not: every one is written unlabelled, so
// a detector that reports it scores a false positive.

func (g gen) uuid() string {
	h := g.str(hexLower, 32)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-" + g.pick("8", "9", "a", "b") + h[17:20] + "-" + h[20:]
}

func (g gen) epochMS() string { return fmt.Sprint(int64(1790000000000) + g.r.Int64N(10000000000)) }

// luhnFail is a 16-digit number with a card-like prefix that fails Luhn.
func (g gen) luhnFail() string {
	body := g.pick("4", "5", "6") + g.str(digits, 14)
	good := luhnDigit(body)
	bad := byte('0' + (int(good-'0')+1+g.r.IntN(9))%10)
	return body + string(bad)
}

// badIBAN has a valid shape and wrong check digits.
func (g gen) badIBAN() string {
	s := g.ibanCompact()
	check := s[2:4]
	for {
		c := fmt.Sprintf("%02d", g.n(2, 98))
		if c != check {
			return s[:2] + c + s[4:]
		}
	}
}

// badSSN is in a range the SSA never issues.
func (g gen) badSSN() string {
	_, b, c := g.ssnParts()
	return g.pick("000", "666", fmt.Sprint(g.n(900, 999))) + "-" + b + "-" + c
}

func (g gen) javaClass() string {
	return "com." + g.pick("acme", "example", "initech") + "." + g.pick("billing", "orders", "auth", "search") + "." +
		g.pick("InvoiceService", "OrderRepository", "TokenValidator", "PasswordEncoder", "SessionManager", "SecretResolver")
}

// publicPEM is a certificate or public key: public material, not a secret.
func (g gen) publicPEM() string {
	typ := g.pick("CERTIFICATE", "PUBLIC KEY")
	return strings.TrimSuffix(string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: append([]byte{0x30, 0x82, 0x03, 0x0a}, g.bytes(500)...)})), "\n")
}

var maskedValues = []string{"********", "<redacted>", "[REDACTED]", "${DB_PASSWORD}", "{{ .Values.db.password }}", "$(cat /run/secrets/db_password)", "xxxxxxxx", "<your-password-here>", "REDACTED", "***"}

// decoyKV returns a key/value pair a naive detector might flag.
func (g gen) decoyKV() (string, string) {
	switch g.r.IntN(28) {
	case 24: // an S3 object key is a path, not a secret (rarer: one pattern)
		if g.chance(0.7) {
			return "request_id", g.uuid()
		}
		return "key", fmt.Sprintf("%d/%s/%s.%s", g.n(2020, 2026), g.pick("invoices", "exports", "uploads"), g.str(hexLower, 10), g.pick("pdf", "csv", "json.gz"))
	case 25:
		return "idempotency_key", g.uuid()
	case 26:
		return "cache_key", "user:" + fmt.Sprint(g.n(1, 999999)) + ":profile"
	case 27:
		return "partition_key", g.pick("tenant", "region", "day") + "#" + g.str(lower+digits, 8)
	case 0:
		return "request_id", g.uuid()
	case 1:
		return "trace_id", g.str(hexLower, 32)
	case 2:
		return "span_id", g.str(hexLower, 16)
	case 3:
		return "checksum", "sha256:" + g.str(hexLower, 64)
	case 4:
		return "etag", g.str(hexLower, 32)
	case 5:
		return "commit", g.str(hexLower, 40)
	case 6:
		return "order_id", g.luhnFail()
	case 7:
		return "ts_ms", g.epochMS()
	case 8:
		return g.pick("password", "db_password", "passwd"), g.pick(maskedValues...)
	case 9:
		return "aws_access_key_id", "AKIAIOSFODNN7EXAMPLE"
	case 10:
		return "aws_secret_access_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	case 11:
		return "iban", g.badIBAN()
	case 12:
		return "ssn", g.badSSN()
	case 13:
		return "device_serial", "SN" + g.str(digits, 10)
	case 14:
		return "resourceVersion", fmt.Sprint(g.n(10000000, 99999999))
	case 15:
		return "stripe_publishable_key", "pk_live_" + g.str(base62, 24)
	case 16:
		return "token_type", "Bearer"
	case 17:
		return "password_expired", g.pick("true", "false")
	case 18:
		return "secret_ref", "vault:secret/data/" + g.pick("payments", "web", "ci") + "#" + g.pick("db_password", "api_key", "token")
	case 19:
		return "image", "registry.example.com/app@sha256:" + g.str(hexLower, 64)
	case 20:
		return "card_last4", g.str(digits, 4)
	case 21:
		return "order_number", "ORD-" + g.str(digits, 4) + "-" + g.str(digits, 4) + "-" + g.str(digits, 4)
	case 22:
		return "md5", g.str(hexLower, 32)
	default:
		return "api_key", g.pick("", "null", "<not set>", "${API_KEY}")
	}
}

// decoyText is a log message with look-alikes and no finding.
func (g gen) decoyText() string {
	switch g.r.IntN(22) {
	case 18: // flags that carry a port, not a password
		return g.pick("+ docker run -d -p 8080:80 nginx:1.25", "+ ssh -p 2222 deploy@bastion uptime", "+ redis-cli -h cache-01 -p 6379 ping")
	case 19: // codes that are statuses
		return fmt.Sprintf("worker exited with code=%d after %d restarts", g.pick2(1, 137), g.n(1, 9))
	case 20:
		return fmt.Sprintf("GET /status?code=%d&lang=en HTTP/1.1", g.n(200, 504))
	case 21:
		return fmt.Sprintf("processed %d bytes, msisdn lookups %d", g.n(100000000000, 999999999999), g.n(1, 99))
	case 16: // multi-byte UTF-8 before later values: spans are byte offsets, not runes
		return g.pick("Kunde Müller aus Zürich hat die Bestellung storniert", "ユーザーのセッションが期限切れです", "paiement refusé — réessayer plus tard", "Заказ отменён клиентом")
	case 17:
		return fmt.Sprintf("Straße %d, 8004 Zürich: Lieferung verspätet (≈%d min)", g.n(1, 200), g.n(5, 90))
	case 0:
		return fmt.Sprintf("node agent upgraded to version %d.%d.%d.%d", g.n(1, 12), g.n(0, 9), g.n(0, 20), g.n(0, 300))
	case 1:
		return fmt.Sprintf("Deleting block blk_%d file /data/dfs/dn/current/finalized/blk_%d", -g.r.Int64N(1<<62), g.r.Int64N(1<<62))
	case 2:
		return "java.lang.IllegalStateException thrown in " + g.javaClass() + ".resolve()"
	case 3:
		return "password must be at least 12 characters and contain a digit"
	case 4:
		return "Authorization header missing; expected Bearer token"
	case 5:
		return fmt.Sprintf("order %s shipped, tracking %s", g.luhnFail(), "1Z"+g.str(upper+digits, 16))
	case 6:
		return fmt.Sprintf("SSN validation rejected test value %s", g.badSSN())
	case 7:
		return fmt.Sprintf("cache key user:%s:profile evicted after %d ms", g.uuid(), g.n(1, 900))
	case 8:
		return fmt.Sprintf("HEAD is now at %s Merge pull request #%d from acme/fix-retry", g.str(hexLower, 7), g.n(100, 9999))
	case 9:
		return fmt.Sprintf("uploaded artifact sha1=%s md5=%s", g.str(hexLower, 40), g.str(hexLower, 32))
	case 10:
		return "using AWS example credentials AKIAIOSFODNN7EXAMPLE from docs, skipping"
	case 11:
		return fmt.Sprintf("rotated secret %s (value not logged)", g.pick("db-password", "stripe-key", "jwt-signing-key"))
	case 12:
		return fmt.Sprintf("invoice total 1234.56 EUR, reference RF%s", g.str(digits, 18))
	case 13:
		return fmt.Sprintf("processed %d events in %d ms (epoch %s)", g.n(10, 90000), g.n(1, 5000), g.epochMS())
	case 14:
		return fmt.Sprintf("watch: resourceVersion %d too old, relisting", g.n(10000000, 99999999))
	default:
		return "set password for user deploy: " + g.pick(maskedValues...)
	}
}
