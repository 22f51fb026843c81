package detectset

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// Finding types, in planting order. Kept local (not imported from detectors)
// so the corpus is independent of the code it measures.
var types = []string{
	"email", "phone", "credit_card", "us_ssn", "iban", "ip_address",
	"aws_access_key_id", "aws_secret_access_key", "gcp_api_key", "gcp_service_account",
	"azure_storage_key", "github_token", "gitlab_token", "slack_token", "slack_webhook_url",
	"stripe_key", "openai_api_key", "anthropic_api_key", "sendgrid_api_key", "npm_token",
	"jwt", "private_key", "password", "url_credentials", "basic_auth", "bearer_token",
	"session_token", "generic_secret",
}

type shape int

const (
	shapeKV     shape = iota // a key and its value
	shapeHeader              // an HTTP header: name and value (the value may start with a scheme)
	shapeText                // a sentence with the value inside
)

// item is one planted value in a context, before a format renders it.
type item struct {
	typ   string
	shape shape
	key   string // kv: key as an app would log it; header: header name
	env   string // kv: the same key as an environment variable
	val   []seg  // kv/header: the value; text: the whole sentence
}

func (it item) multiline() bool { return strings.Contains(segsText(it.val), "\n") }

// urlSafe: the value can stand in a query string without percent-encoding.
func (it item) urlSafe() bool {
	return !strings.ContainsAny(segsText(it.val), " \n\"+/=&?#%{}<>\\")
}

func kvItem(typ, key, env string, val ...seg) item {
	return item{typ: typ, shape: shapeKV, key: key, env: env, val: val}
}

func hdrItem(typ, name string, val ...seg) item {
	return item{typ: typ, shape: shapeHeader, key: name, val: val}
}

func textItem(typ string, sentence ...seg) item {
	return item{typ: typ, shape: shapeText, val: sentence}
}

// variants lists, per type, the contexts a value of that type is planted in.
var variants = map[string][]func(g gen) item{
	"email": {
		func(g gen) item { return hdrItem("email", "Reply-To", lab("email", g.email())) },
		func(g gen) item { return kvItem("email", "email", "ADMIN_EMAIL", lab("email", g.email())) },
		func(g gen) item { return kvItem("email", "user_email", "NOTIFY_TO", lab("email", g.email())) },
		func(g gen) item {
			return textItem("email", txt("password reset link sent to "), lab("email", g.email()))
		},
		func(g gen) item {
			return textItem("email", txt("login succeeded for user "), lab("email", g.email()), txt(" via SSO"))
		},
		func(g gen) item { return hdrItem("email", "From", txt("Billing <"), lab("email", g.email()), txt(">")) },
		func(g gen) item {
			return textItem("email", txt("smtp: 550 5.1.1 <"), lab("email", g.email()), txt(">: Recipient address rejected"))
		},
	},
	"phone": {
		func(g gen) item {
			return textItem("phone", txt("sms gateway: delivered to msisdn "), lab("phone", g.msisdn()), txt(" status=DELIVRD"))
		},
		func(g gen) item { return kvItem("phone", "phone", "SUPPORT_PHONE", lab("phone", g.phone())) },
		func(g gen) item { return kvItem("phone", "phone_number", "ONCALL_PHONE", lab("phone", g.phone())) },
		func(g gen) item {
			return textItem("phone", txt("SMS verification code delivered to "), lab("phone", g.phone()))
		},
		func(g gen) item {
			return textItem("phone", txt("twilio: call to "), lab("phone", g.phone()), txt(" failed: busy"))
		},
		func(g gen) item { return kvItem("phone", "mobile", "ALERT_SMS_TO", lab("phone", g.phone())) },
	},
	"credit_card": {
		func(g gen) item {
			// A PAN logged as a bare JSON number by a careless serializer.
			return textItem("credit_card", txt("payment payload: {\"amount\":1999,\"card_number\":"), lab("credit_card", g.cardDigits()), txt("}"))
		},
		func(g gen) item {
			return kvItem("credit_card", "card_number", "TEST_CARD", lab("credit_card", g.card()))
		},
		func(g gen) item { return kvItem("credit_card", "pan", "CARD_PAN", lab("credit_card", g.card())) },
		func(g gen) item {
			return textItem("credit_card", txt("charge declined for card "), lab("credit_card", g.card()), txt(": insufficient_funds"))
		},
		func(g gen) item {
			return textItem("credit_card", txt("tokenize failed, raw PAN "), lab("credit_card", g.card()), txt(" exp 09/28"))
		},
	},
	"us_ssn": {
		func(g gen) item { return kvItem("us_ssn", "ssn", "APPLICANT_SSN", lab("us_ssn", g.ssn())) },
		func(g gen) item {
			a, b, c := g.ssnParts()
			return kvItem("us_ssn", "ssn", "EMPLOYEE_SSN", lab("us_ssn", a+b+c))
		},
		func(g gen) item {
			return textItem("us_ssn", txt("identity check failed: SSN "), lab("us_ssn", g.ssn()), txt(" does not match DOB"))
		},
		func(g gen) item {
			return kvItem("us_ssn", "social_security_number", "TAXPAYER_SSN", lab("us_ssn", g.ssn()))
		},
	},
	"iban": {
		func(g gen) item { return kvItem("iban", "iban", "PAYOUT_IBAN", lab("iban", g.iban())) },
		func(g gen) item { return kvItem("iban", "beneficiary_iban", "REFUND_IBAN", lab("iban", g.iban())) },
		func(g gen) item {
			return textItem("iban", txt("SEPA credit transfer to "), lab("iban", g.iban()), txt(" rejected: AC04 closed account"))
		},
	},
	"ip_address": {
		func(g gen) item { return kvItem("ip_address", "client_ip", "POD_IP", lab("ip_address", g.ip())) },
		func(g gen) item { return kvItem("ip_address", "remote_addr", "HOST_IP", lab("ip_address", g.ipv4())) },
		func(g gen) item {
			return textItem("ip_address", txt("Failed password for invalid user admin from "), lab("ip_address", g.ip()), txt(fmt.Sprintf(" port %d ssh2", g.n(1024, 65000))))
		},
		func(g gen) item {
			return hdrItem("ip_address", "X-Forwarded-For", lab("ip_address", g.ipv4()), txt(", "), lab("ip_address", g.ipv4()))
		},
		func(g gen) item {
			return textItem("ip_address", txt("dial tcp ["), lab("ip_address", g.ipv6()), txt("]:443: connect: connection refused"))
		},
	},
	"aws_access_key_id": {
		func(g gen) item {
			return kvItem("aws_access_key_id", "aws_access_key_id", "AWS_ACCESS_KEY_ID", lab("aws_access_key_id", g.awsKeyID()))
		},
		func(g gen) item {
			return kvItem("aws_access_key_id", "AccessKeyId", "AWS_ACCESS_KEY", lab("aws_access_key_id", g.awsKeyID()))
		},
		func(g gen) item {
			return hdrItem("aws_access_key_id", "Authorization", txt("AWS4-HMAC-SHA256 Credential="), lab("aws_access_key_id", g.awsKeyID()),
				txt("/20261123/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature="+g.str(hexLower, 64)))
		},
		func(g gen) item {
			return textItem("aws_access_key_id", txt("InvalidClientTokenId: The security token included in the request is invalid (key "), lab("aws_access_key_id", g.awsKeyID()), txt(")"))
		},
	},
	"aws_secret_access_key": {
		func(g gen) item {
			return textItem("aws_secret_access_key", txt("+ aws configure set aws_secret_access_key "), lab("aws_secret_access_key", g.awsSecret()), txt(" --profile ci"))
		},
		func(g gen) item {
			return kvItem("aws_secret_access_key", "aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", lab("aws_secret_access_key", g.awsSecret()))
		},
		func(g gen) item {
			return kvItem("aws_secret_access_key", "SecretAccessKey", "AWS_SECRET_KEY", lab("aws_secret_access_key", g.awsSecret()))
		},
		func(g gen) item {
			return kvItem("aws_secret_access_key", "secretAccessKey", "S3_SECRET_ACCESS_KEY", lab("aws_secret_access_key", g.awsSecret()))
		},
	},
	"gcp_api_key": {
		func(g gen) item {
			return kvItem("gcp_api_key", "key", "GOOGLE_API_KEY", lab("gcp_api_key", g.gcpAPIKey()))
		},
		func(g gen) item { return hdrItem("gcp_api_key", "X-Goog-Api-Key", lab("gcp_api_key", g.gcpAPIKey())) },
		func(g gen) item {
			return textItem("gcp_api_key", txt("GET https://maps.googleapis.com/maps/api/geocode/json?address=Berlin&key="), lab("gcp_api_key", g.gcpAPIKey()), txt(" -> 403 REQUEST_DENIED"))
		},
		func(g gen) item {
			return kvItem("gcp_api_key", "firebase_api_key", "FIREBASE_API_KEY", lab("gcp_api_key", g.gcpAPIKey()))
		},
	},
	"gcp_service_account": {
		func(g gen) item {
			return kvItem("gcp_service_account", "credentials_json", "GOOGLE_CREDENTIALS", serviceAccountJSON(g, false)...)
		},
		func(g gen) item {
			return kvItem("gcp_service_account", "service_account_key", "GCP_SA_KEY", serviceAccountJSON(g, true)...)
		},
	},
	"azure_storage_key": {
		func(g gen) item {
			acct := "st" + g.pick("prod", "logs", "backup", "media") + g.str(lower+digits, 6)
			return kvItem("azure_storage_key", "connection_string", "AZURE_STORAGE_CONNECTION_STRING",
				txt("DefaultEndpointsProtocol=https;AccountName="+acct+";AccountKey="), lab("azure_storage_key", g.azureKey()), txt(";EndpointSuffix=core.windows.net"))
		},
		func(g gen) item {
			return kvItem("azure_storage_key", "account_key", "AZURE_STORAGE_KEY", lab("azure_storage_key", g.azureKey()))
		},
		func(g gen) item {
			return kvItem("azure_storage_key", "storage_account_key", "AZURE_STORAGE_ACCESS_KEY", lab("azure_storage_key", g.azureKey()))
		},
	},
	"github_token": {
		func(g gen) item {
			return kvItem("github_token", "github_token", "GITHUB_TOKEN", lab("github_token", g.githubToken()))
		},
		func(g gen) item {
			return hdrItem("github_token", "Authorization", txt(g.pick("token ", "Bearer ")), lab("github_token", g.githubToken()))
		},
		func(g gen) item {
			return textItem("github_token", txt("git clone https://x-access-token:"), lab("github_token", g.githubToken()), txt("@github.com/acme/"+g.pick("infra", "payments", "web")+".git"))
		},
		func(g gen) item {
			return kvItem("github_token", "token", "GH_TOKEN", lab("github_token", g.githubToken()))
		},
	},
	"gitlab_token": {
		func(g gen) item {
			return kvItem("gitlab_token", "gitlab_token", "GITLAB_TOKEN", lab("gitlab_token", g.gitlabToken()))
		},
		func(g gen) item {
			return hdrItem("gitlab_token", "PRIVATE-TOKEN", lab("gitlab_token", g.gitlabToken()))
		},
		func(g gen) item {
			return textItem("gitlab_token", txt("fatal: unable to access 'https://oauth2:"), lab("gitlab_token", g.gitlabToken()), txt("@gitlab.example.com/group/app.git/': The requested URL returned error: 403"))
		},
	},
	"slack_token": {
		func(g gen) item {
			return kvItem("slack_token", "slack_bot_token", "SLACK_BOT_TOKEN", lab("slack_token", g.slackToken()))
		},
		func(g gen) item {
			return hdrItem("slack_token", "Authorization", txt("Bearer "), lab("slack_token", g.slackToken()))
		},
		func(g gen) item {
			return textItem("slack_token", txt("slack api chat.postMessage invalid_auth with token "), lab("slack_token", g.slackToken()))
		},
	},
	"slack_webhook_url": {
		func(g gen) item {
			return kvItem("slack_webhook_url", "webhook_url", "SLACK_WEBHOOK_URL", lab("slack_webhook_url", g.slackWebhook()))
		},
		func(g gen) item {
			return textItem("slack_webhook_url", txt("POST "), lab("slack_webhook_url", g.slackWebhook()), txt(" returned 404 no_service"))
		},
	},
	"stripe_key": {
		func(g gen) item {
			return kvItem("stripe_key", "stripe_secret_key", "STRIPE_SECRET_KEY", lab("stripe_key", g.stripeKey()))
		},
		func(g gen) item {
			return hdrItem("stripe_key", "Authorization", txt("Bearer "), lab("stripe_key", g.stripeKey()))
		},
		func(g gen) item {
			return textItem("stripe_key", txt("stripe: Invalid API Key provided: "), lab("stripe_key", g.stripeKey()))
		},
	},
	"openai_api_key": {
		func(g gen) item {
			return kvItem("openai_api_key", "api_key", "OPENAI_API_KEY", lab("openai_api_key", g.openAIKey()))
		},
		func(g gen) item {
			return hdrItem("openai_api_key", "Authorization", txt("Bearer "), lab("openai_api_key", g.openAIKey()))
		},
		func(g gen) item {
			return textItem("openai_api_key", txt("Incorrect API key provided: "), lab("openai_api_key", g.openAIKey()), txt(". You can find your API key at https://platform.openai.com/account/api-keys."))
		},
	},
	"anthropic_api_key": {
		func(g gen) item {
			return kvItem("anthropic_api_key", "anthropic_api_key", "ANTHROPIC_API_KEY", lab("anthropic_api_key", g.anthropicKey()))
		},
		func(g gen) item {
			return hdrItem("anthropic_api_key", "x-api-key", lab("anthropic_api_key", g.anthropicKey()))
		},
	},
	"sendgrid_api_key": {
		func(g gen) item {
			return kvItem("sendgrid_api_key", "sendgrid_api_key", "SENDGRID_API_KEY", lab("sendgrid_api_key", g.sendgridKey()))
		},
		func(g gen) item {
			return hdrItem("sendgrid_api_key", "Authorization", txt("Bearer "), lab("sendgrid_api_key", g.sendgridKey()))
		},
	},
	"npm_token": {
		func(g gen) item { return kvItem("npm_token", "npm_token", "NPM_TOKEN", lab("npm_token", g.npmToken())) },
		func(g gen) item {
			return textItem("npm_token", txt("//registry.npmjs.org/:_authToken="), lab("npm_token", g.npmToken()))
		},
		func(g gen) item {
			return kvItem("npm_token", "node_auth_token", "NODE_AUTH_TOKEN", lab("npm_token", g.npmToken()))
		},
	},
	"jwt": {
		func(g gen) item { return hdrItem("jwt", "Authorization", txt("Bearer "), lab("jwt", g.jwt())) },
		func(g gen) item { return kvItem("jwt", "id_token", "ID_TOKEN", lab("jwt", g.jwt())) },
		func(g gen) item { return kvItem("jwt", "access_token", "ACCESS_TOKEN", lab("jwt", g.jwt())) },
		func(g gen) item {
			return textItem("jwt", txt("token verification failed: signature is invalid: "), lab("jwt", g.jwt()))
		},
	},
	"private_key": {
		func(g gen) item {
			return kvItem("private_key", "private_key", "TLS_PRIVATE_KEY", lab("private_key", g.privateKey()))
		},
		func(g gen) item {
			return kvItem("private_key", "ssh_key", "DEPLOY_SSH_KEY", lab("private_key", g.privateKey()))
		},
		func(g gen) item {
			return textItem("private_key", txt("loaded signing key:\n"), lab("private_key", g.privateKey()))
		},
	},
	"password": {
		func(g gen) item {
			return kvItem("password", "connection_string", "SQLSERVER_CONNECTION",
				txt("Server=sql-"+g.pick("prod", "reporting")+".internal,1433;Database=App;User Id=sa;Password="), lab("password", g.password()), txt(";Encrypt=True;"))
		},
		func(g gen) item {
			return textItem("password", txt("spring.datasource.password="), lab("password", g.password()))
		},
		func(g gen) item {
			return textItem("password", txt("+ docker run -d -e POSTGRES_PASSWORD="), lab("password", g.password()), txt(" -p 5432:5432 postgres:16"))
		},
		func(g gen) item { return kvItem("password", "password", "DB_PASSWORD", lab("password", g.password())) },
		func(g gen) item {
			return kvItem("password", "db_password", "POSTGRES_PASSWORD", lab("password", g.password()))
		},
		func(g gen) item {
			return kvItem("password", "passwd", "MYSQL_ROOT_PASSWORD", lab("password", g.password()))
		},
		func(g gen) item {
			return kvItem("password", "smtp_password", "SMTP_PASS", lab("password", g.password()))
		},
		func(g gen) item {
			return textItem("password", txt("executing: CREATE USER app_rw WITH PASSWORD '"), lab("password", g.password()), txt("'"))
		},
		func(g gen) item {
			return textItem("password", txt("+ mysql -h db -u root --password="), lab("password", g.password()), txt(" -e 'SELECT 1'"))
		},
		func(g gen) item { return kvItem("password", "pwd", "PGPASSWORD", lab("password", g.password())) },
		func(g gen) item {
			return textItem("password", txt("+ redis-cli -h cache-01 -p 6379 -a "), lab("password", g.password()), txt(" ping"))
		},
		func(g gen) item {
			return textItem("password", txt("+ sshpass -p '"), lab("password", g.password()), txt("' ssh -o StrictHostKeyChecking=no deploy@bastion uptime"))
		},
		func(g gen) item {
			return textItem("password", txt("+ docker login -u ci -p "), lab("password", g.password()), txt(" registry.example.com"))
		},
		func(g gen) item {
			return textItem("password", txt("+ curl -fsS -u ci-bot:"), lab("password", g.password()), txt(" https://artifacts.example.com/api/upload"))
		},
	},
	"url_credentials": {
		func(g gen) item {
			return textItem("url_credentials", txt("mailer: dial smtp://alerts:"), lab("url_credentials", g.password()), txt("@smtp.example.com:587 failed: 535 5.7.8 authentication failed"))
		},
		func(g gen) item {
			return kvItem("url_credentials", "ftp_url", "FTP_URL", txt("ftp://backup:"), lab("url_credentials", g.password()), txt("@ftp.example.net/nightly/"))
		},
		func(g gen) item {
			return kvItem("url_credentials", "database_url", "DATABASE_URL",
				txt("postgres://app_"+g.pick("rw", "ro", "admin")+":"), lab("url_credentials", g.password()), txt("@pg-"+g.pick("main", "replica", "orders")+".internal:5432/app?sslmode=require"))
		},
		func(g gen) item {
			return kvItem("url_credentials", "redis_url", "REDIS_URL", txt("redis://:"), lab("url_credentials", g.password()), txt("@redis-master:6379/0"))
		},
		func(g gen) item {
			return kvItem("url_credentials", "mongo_uri", "MONGODB_URI", txt("mongodb+srv://svc:"), lab("url_credentials", g.password()), txt("@cluster0.ab1cd.mongodb.net/prod?retryWrites=true"))
		},
		func(g gen) item {
			return textItem("url_credentials", txt("amqp: dial amqp://guest_"+g.pick("w", "r")+":"), lab("url_credentials", g.password()), txt("@rabbitmq.svc:5672/: connection refused"))
		},
		func(g gen) item {
			return textItem("url_credentials", txt("pip: Looking in indexes: https://deploy:"), lab("url_credentials", g.password()), txt("@artifactory.example.com/api/pypi/simple"))
		},
	},
	"basic_auth": {
		func(g gen) item {
			blob := base64.StdEncoding.EncodeToString([]byte(g.pick("admin", "svc-ci", "metrics", "jenkins") + ":" + g.password()))
			return hdrItem("basic_auth", "Authorization", txt("Basic "), lab("basic_auth", blob))
		},
		func(g gen) item {
			blob := base64.StdEncoding.EncodeToString([]byte(g.pick("proxyuser", "squid") + ":" + g.password()))
			return hdrItem("basic_auth", "Proxy-Authorization", txt("Basic "), lab("basic_auth", blob))
		},
	},
	"bearer_token": {
		func(g gen) item {
			return textItem("bearer_token", txt("redirecting to https://app.example.com/auth/done#access_token="), lab("bearer_token", g.str(urlSafe, 43)), txt("&token_type=Bearer&expires_in=3600"))
		},
		func(g gen) item {
			return hdrItem("bearer_token", "Authorization", txt("Bearer "), lab("bearer_token", g.opaqueToken()))
		},
		func(g gen) item {
			return kvItem("bearer_token", "access_token", "OAUTH_ACCESS_TOKEN", lab("bearer_token", g.opaqueToken()))
		},
		func(g gen) item {
			return textItem("bearer_token", txt("curl -H \"Authorization: Bearer "), lab("bearer_token", g.opaqueToken()), txt("\" https://api.internal/v2/orders"))
		},
	},
	"session_token": {
		func(g gen) item {
			return kvItem("session_token", "sessionToken", "SESSION_SECRET_TOKEN", lab("session_token", g.sessionValue("")))
		},
		func(g gen) item {
			c := g.pick("session", "sessionid", "JSESSIONID", "PHPSESSID", "connect.sid", "_app_session")
			return hdrItem("session_token", "Cookie", txt(c+"="), lab("session_token", g.sessionValue(c)), txt("; theme=dark; lang=en"))
		},
		func(g gen) item {
			c := g.pick("session", "JSESSIONID", "sid")
			return hdrItem("session_token", "Set-Cookie", txt(c+"="), lab("session_token", g.sessionValue(c)), txt("; Path=/; HttpOnly; Secure"))
		},
		func(g gen) item {
			return kvItem("session_token", "session_token", "SESSION_TOKEN", lab("session_token", g.sessionValue("")))
		},
		func(g gen) item {
			return kvItem("session_token", "aws_session_token", "AWS_SESSION_TOKEN", lab("session_token", g.sessionValue("AWS_SESSION_TOKEN")))
		},
		func(g gen) item {
			return hdrItem("session_token", "X-Session-Token", lab("session_token", g.sessionValue("")))
		},
	},
	"generic_secret": {
		func(g gen) item {
			return textItem("generic_secret", txt("GET /oauth/callback?code="), lab("generic_secret", "4/0A"+g.str(urlSafe, 60)), txt("&state="+g.str(base62, 12)+" HTTP/1.1"))
		},
		func(g gen) item {
			return hdrItem("generic_secret", "api-key", lab("generic_secret", g.str(hexLower, 32)))
		},
		func(g gen) item {
			return kvItem("generic_secret", "apikey", "MAILCHIMP_APIKEY", lab("generic_secret", g.genericSecret()))
		},
		func(g gen) item {
			return kvItem("generic_secret", "client_secret", "OAUTH_CLIENT_SECRET", lab("generic_secret", g.genericSecret()))
		},
		func(g gen) item {
			return kvItem("generic_secret", "api_key", "PARTNER_API_KEY", lab("generic_secret", g.genericSecret()))
		},
		func(g gen) item {
			return kvItem("generic_secret", "secret_key", "SECRET_KEY_BASE", lab("generic_secret", g.genericSecret()))
		},
		func(g gen) item {
			return kvItem("generic_secret", "webhook_secret", "WEBHOOK_SIGNING_SECRET", lab("generic_secret", g.genericSecret()))
		},
		func(g gen) item {
			return hdrItem("generic_secret", "X-API-Key", lab("generic_secret", g.genericSecret()))
		},
		func(g gen) item {
			return kvItem("generic_secret", "encryption_key", "APP_ENCRYPTION_KEY", lab("generic_secret", g.genericSecret()))
		},
	},
}

// serviceAccountJSON is a GCP service-account key file. Labels: the
// private_key_id value is the gcp_service_account finding (it names the key
// to revoke), the embedded PEM is a private_key, client_email an email.
func serviceAccountJSON(g gen, pretty bool) []seg {
	proj := g.pick("acme-prod", "billing-svc", "data-lake", "ml-platform") + "-" + g.str(digits, 6)
	sa := g.pick("deployer", "ci-runner", "exporter", "backup") + "@" + proj + ".iam.gserviceaccount.com"
	fields := []kv{
		str("type", "service_account"),
		str("project_id", proj),
		field("private_key_id", lab("gcp_service_account", g.str(hexLower, 40))),
		field("private_key", lab("private_key", g.privateKey()), txt("\n")),
		field("client_email", lab("email", sa)),
		str("client_id", g.str(digits, 21)),
		str("auth_uri", "https://accounts.google.com/o/oauth2/auth"),
		str("token_uri", "https://oauth2.googleapis.com/token"),
	}
	out := jsonSegs(fields)
	if !pretty {
		return out
	}
	// Pretty-printed like a key file pasted into a config: newline after
	// each field separator, two-space indent.
	var pp []seg
	for _, s := range out {
		switch {
		case s.typ == "" && s.text == "{":
			pp = append(pp, txt("{\n  "))
		case s.typ == "" && s.text == "}":
			pp = append(pp, txt("\n}"))
		case s.typ == "" && s.text == ",":
			pp = append(pp, txt(",\n  "))
		case s.typ == "" && strings.HasSuffix(s.text, `":`):
			pp = append(pp, txt(s.text+" "))
		default:
			pp = append(pp, s)
		}
	}
	return pp
}
