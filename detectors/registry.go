package detectors

import (
	"encoding/base64"
	"strings"
)

// detector describes one built-in rule. The matching code lives in scan.go
// and keys.go; here is what it finds, how it ranks against overlapping
// findings, and its examples. In tp, «» marks the exact span that must be
// found with this type; no fp line may yield a finding of this type. Test
// secrets are generated (fake) so no real-looking literal sits in the repo.
type detector struct {
	id   string
	typ  string
	cat  Category
	desc string
	prio int // overlap resolution: higher wins, then longer, then more confident
	// keywords: a custom rule's prefilter literals (one automaton for all
	// rules, config.go). Built-ins have none: their prefilter is the
	// scanner's byte-class trigger table and hand-written prefix dispatch.
	keywords []string
	tp       []string
	fp       []string
	upper    string // placeholder name, set by init (built-ins) or compileRule
	custom   bool   // a config rule: its own validator decides, not the built-in guards
	// validator says in a few words what turns a match into a finding
	// (`logtriage types`); built-ins get theirs from validators below.
	validator string
}

func init() {
	for _, d := range builtins {
		d.upper = placeholderName(d.typ)
		d.validator = validators[d.id]
	}
}

// validators: each built-in's check, as `logtriage types` prints it.
var validators = map[string]string{
	idPrivateKey:         "BEGIN/END markers with PRIVATE KEY, base64 body of 32+ characters",
	idAWSKeyID:           "known prefix, exactly 16 more upper-case/digits, word boundary",
	idAWSSecret:          "40 base64, entropy >= 4, mixed classes, under an AWS secret key or after a key id",
	idGCPAPIKey:          "AIza + exactly 35 base64url",
	idGoogleClientSecret: "GOCSPX- + exactly 28 base64url",
	idGoogleAccessToken:  "ya29. + 30+ base64url",
	idGCPServiceAccount:  "40 hex under private_key_id",
	idAzure:              "86 base64 + == (88 characters)",
	idGitHub:             "prefix + exact length (36, or 82 for github_pat_); 40 hex under a GitHub token key",
	idGitLab:             "known prefix + 20+ token characters",
	idSlackToken:         "xox?-/xapp- prefix, 24+ characters, 2+ further dashes",
	idSlackWebhook:       "hooks.slack.com/{services,workflows,triggers}/T|E…, 3 path parts, secret 16+",
	idStripe:             "secret/restricted/webhook prefix + 20+ alphanumerics",
	idOpenAI:             "project/service/admin prefix + 40+, or legacy sk-…T3BlbkFJ…",
	idAnthropic:          "sk-ant- + 80+",
	idSendGrid:           "SG. + 66 base64url/=/. with a dot",
	idNPM:                "npm_ + exactly 36 alphanumerics",
	idJWT:                "header decodes to JSON with alg, payload decodes to JSON",
	idURLCredentials:     "userinfo read as drivers read it (last @ of the authority), not a placeholder",
	idBasicAuth:          "base64 decodes to printable user:password",
	idCreditCard:         "brand prefix and length, Luhn",
	idSSN:                "SSA area/group/serial rules; context for bare digits",
	idIBAN:               "country length (ISO 13616), mod-97 = 1",
	idBearer:             "scheme Bearer or access_token key; random-looking, not a placeholder",
	idPassword:           "password key, SQL, CLI flag or pipe; not a placeholder, reference or prose",
	idSession:            "session key or cookie; letters and digits with entropy, 16+ hex or UUID, not a counter",
	idGeneric:            "secret-named key; two classes or entropy >= 3, not an identifier, path, URL or counter",
	idEmail:              "TLD of letters, not a file extension or unit, not URL userinfo",
	idPhone:              "E.164 with +, NANP N/X rules, or digits with a phone word before or after",
	idIP:                 "octets <= 255 without leading zeros (IPv4, not version-shaped without context); net/netip (IPv6)",
}

// Built-in detector ids (also the finding types they produce).
const (
	idEmail             = TypeEmail
	idPhone             = TypePhone
	idCreditCard        = TypeCreditCard
	idSSN               = TypeUSSSN
	idIBAN              = TypeIBAN
	idIP                = TypeIPAddress
	idAWSKeyID          = TypeAWSAccessKeyID
	idAWSSecret         = TypeAWSSecretKey
	idGCPAPIKey         = TypeGCPAPIKey
	idGCPServiceAccount = TypeGCPServiceAcct
	idAzure             = TypeAzureStorage
	idGitHub            = TypeGitHubToken
	idGitLab            = TypeGitLabToken
	idSlackToken        = TypeSlackToken
	idSlackWebhook      = TypeSlackWebhook
	idStripe            = TypeStripeKey
	idOpenAI            = TypeOpenAIKey
	idAnthropic         = TypeAnthropicKey
	idSendGrid          = TypeSendGridKey
	idNPM               = TypeNPMToken
	idJWT               = TypeJWT
	idPrivateKey        = TypePrivateKey
	idPassword          = TypePassword
	idURLCredentials    = TypeURLCredentials
	idBasicAuth         = TypeBasicAuth
	idBearer            = TypeBearerToken
	idSession           = TypeSessionToken
	idGeneric           = TypeGenericSecret
	// rules whose finding type is shared with another rule
	idGoogleClientSecret = "google_oauth_client_secret" // a generic_secret
	idGoogleAccessToken  = "google_oauth_access_token"  // a bearer_token
)

const (
	alnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upperD = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b64    = alnum + "+/"
	b64url = alnum + "-_"
	hexd   = "0123456789abcdef"
)

// fake returns a deterministic pseudo-random string over alphabet: format
// valid test material that is obviously not anyone's secret.
func fake(seed string, n int, alphabet string) string {
	h := uint64(14695981039346656037)
	for i := 0; i < len(seed); i++ {
		h = (h ^ uint64(seed[i])) * 1099511628211
	}
	out := make([]byte, n)
	for i := range out {
		h ^= h << 13
		h ^= h >> 7
		h ^= h << 17
		out[i] = alphabet[h%uint64(len(alphabet))]
	}
	return string(out)
}

func fakeJWT(seed string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		enc.EncodeToString([]byte(`{"sub":"`+fake(seed, 8, alnum)+`","iat":1700000000}`)) + "." + fake(seed+"sig", 43, b64url)
}

func fakePEM(seed, label, nl string) string {
	body := fake(seed, 64, b64) + nl + fake(seed+"2", 64, b64) + nl + fake(seed+"3", 20, b64) + "=="
	return "-----BEGIN " + label + "-----" + nl + body + nl + "-----END " + label + "-----"
}

func fakeAzureKey(seed string) string { return fake(seed, 86, b64) + "==" }

var builtins = []*detector{
	{id: idPrivateKey, typ: TypePrivateKey, cat: CategorySecret, prio: 95,
		desc: "PEM private key block (BEGIN ... PRIVATE KEY ... END), across lines or JSON-escaped",
		tp: []string{
			"key material:\n«" + fakePEM("rsa", "RSA PRIVATE KEY", "\n") + "»\nnext line",
			"key material:\r\n«" + fakePEM("ec", "EC PRIVATE KEY", "\r\n") + "»\r\n",
			`{"type": "service_account", "private_key": "«` + fakePEM("sa", "PRIVATE KEY", `\n`) + `»\n"}`,
			"«" + fakePEM("ossh", "OPENSSH PRIVATE KEY", "\n") + "»",
		},
		fp: []string{
			fakePEM("pub", "PUBLIC KEY", "\n"),
			fakePEM("cert", "CERTIFICATE", "\n"),
			"loading -----BEGIN PRIVATE KEY (truncated",
			// a block whose body is a word or a filler is documentation
			"-----BEGIN PRIVATE KEY-----\nanything\n-----END PRIVATE KEY-----",
			`{"key": "-----BEGIN RSA PRIVATE KEY-----\\n<your key here>\\n-----END RSA PRIVATE KEY-----"}`,
			"-----BEGIN EC PRIVATE KEY-----\nXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n-----END EC PRIVATE KEY-----",
		}},
	{id: idAWSKeyID, typ: TypeAWSAccessKeyID, cat: CategorySecret, prio: 80,
		desc: "AWS access key id: AKIA/ASIA/... + 16 upper-case letters or digits",
		tp: []string{
			"aws_access_key_id=«AKIA" + fake("aws1", 16, upperD) + "»",
			"Credential=«ASIA" + fake("aws2", 16, upperD) + "»/20240101/us-east-1/s3/aws4_request",
		},
		fp: []string{
			"aws_access_key_id=AKIAIOSFODNN7EXAMPLE",
			"AKIA" + fake("aws3", 12, upperD),
			"XAKIA" + fake("aws4", 16, upperD),
			"AKIA" + fake("aws5", 16, upperD) + "Z",
			"never paste keys like AKIAXXXXXXXXXXXXXXXX into chat",
		}},
	{id: idAWSSecret, typ: TypeAWSSecretKey, cat: CategorySecret, prio: 80,
		desc: "AWS secret access key: 40 base64 characters under an aws secret key name",
		tp: []string{
			"aws_secret_access_key = «" + fake("awssecret", 40, b64) + "»",
			`{"SecretAccessKey": "«` + fake("awssecret2", 40, b64) + `»"}`,
			"AKIA" + fake("awscsv", 16, upperD) + ",«" + fake("awssecret3", 40, b64) + "»,us-east-1",
			"Access key ID: AKIA" + fake("awsnl", 16, upperD) + "\nSecret: «" + fake("awssecret5", 40, b64) + "»",
			"+ aws configure set aws_secret_access_key «" + fake("awssecret4", 40, b64) + "» --profile ci",
		},
		fp: []string{
			"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
			"AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY}",
			"aws_secret_access_key: ****************************************",
			"key_id=AKIA" + fake("awsnl2", 16, upperD) + "\nencryption_key=" + fake("awssecret6", 40, b64),
		}},
	{id: idGCPAPIKey, typ: TypeGCPAPIKey, cat: CategorySecret, prio: 80,
		desc: "Google API key: AIza + 35 base64url characters",
		tp: []string{
			"https://maps.googleapis.com/maps/api/geocode/json?key=«AIza" + fake("gcp", 35, b64url) + "»",
		},
		fp: []string{"AIza" + fake("gcp2", 20, b64url), "AIza" + fake("gcp3", 40, alnum)},
	},
	{id: idGoogleClientSecret, typ: TypeGenericSecret, cat: CategorySecret, prio: 80,
		desc: "Google OAuth client secret: GOCSPX- + 28 base64url characters",
		tp: []string{
			`{"web":{"client_id":"123-abc.apps.googleusercontent.com","client_secret":"«GOCSPX-` + fake("gocspx", 28, b64url) + `»"}}`,
			"oauth: exchanging code with secret «GOCSPX-" + fake("gocspx2", 28, b64url) + "»",
		},
		fp: []string{"GOCSPX-" + fake("gocspx3", 20, b64url), "XGOCSPX-" + fake("gocspx4", 28, b64url)},
	},
	{id: idGoogleAccessToken, typ: TypeBearerToken, cat: CategorySecret, prio: 80,
		desc: "Google OAuth access token: ya29. + 30 or more base64url characters",
		tp: []string{
			"gcloud auth print-access-token: «ya29." + fake("ya29", 120, b64url) + "»",
			`{"token":"«ya29.` + fake("ya29b", 80, b64url) + `»","expiry":"2026-11-23T11:00:00Z"}`,
		},
		fp: []string{"ya29.short", "kya29." + fake("ya29c", 60, b64url)},
	},
	{id: idGCPServiceAccount, typ: TypeGCPServiceAcct, cat: CategorySecret, prio: 80,
		desc: "GCP service-account key id (private_key_id, 40 hex) in service-account JSON",
		tp: []string{
			`{"type": "service_account", "project_id": "demo", "private_key_id": "«` + fake("gsa", 40, hexd) + `»"}`,
			`{"args": "{\\\"type\\\": \\\"service_account\\\", \\\"private_key_id\\\": \\\"«` + fake("gsa4", 40, hexd) + `»\\\"}"}`,
			`"private_key_id":"«` + fake("gsa2", 40, hexd) + `»"`,
		},
		fp: []string{`"private_key_id": "abc"`, `"private_key_id": "` + fake("gsa3", 40, alnum) + `"`},
	},
	{id: idAzure, typ: TypeAzureStorage, cat: CategorySecret, prio: 80,
		desc: "Azure storage account key (AccountKey=, 88 base64 characters)",
		tp: []string{
			"DefaultEndpointsProtocol=https;AccountName=demo;AccountKey=«" + fakeAzureKey("az") + "»;EndpointSuffix=core.windows.net",
			"export AZURE_STORAGE_ACCESS_KEY=«" + fakeAzureKey("az2") + "»",
			`config: storage_account_key="«` + fakeAzureKey("az3") + `»"`,
		},
		fp: []string{"AccountKey=<key>;EndpointSuffix=core.windows.net", "AccountKey=;"},
	},
	{id: idGitHub, typ: TypeGitHubToken, cat: CategorySecret, prio: 80,
		desc: "GitHub token: ghp_/gho_/ghu_/ghs_/ghr_ + 36, github_pat_ + 82; 40 hex under a GitHub token key",
		tp: []string{
			"GITHUB_TOKEN=«" + fake("gh7", 40, hexd) + "»",
			`{"gh_token": "«` + fake("gh8", 40, hexd) + `»"}`,
			"GITHUB_TOKEN=«ghp_" + fake("gh1", 36, alnum) + "»",
			"Authorization: token «ghs_" + fake("gh2", 36, alnum) + "»",
			"«github_pat_" + fake("gh3", 22, alnum) + "_" + fake("gh4", 59, alnum) + "»",
			// wrapped at 64 columns by whatever printed it
			"2026-01-05T10:00:00Z DEBUG git credential helper: using token «ghp_" + fake("gh10", 36, alnum)[:10] + "\n    " + fake("gh10", 36, alnum)[10:] + "»",
		},
		fp: []string{"ghp_short", "ghp_" + fake("gh5", 40, alnum), "xghp_" + fake("gh6", 36, alnum),
			"github_commit=" + fake("gh9", 40, hexd), "GITHUB_TOKEN=${{ secrets.GITHUB_TOKEN }}",
			"export GITHUB_TOKEN=ghp_" + strings.Repeat("x", 36), "token: ghp_" + strings.Repeat("X", 36), "GH_TOKEN=ghp_" + strings.Repeat("0", 36)},
	},
	{id: idGitLab, typ: TypeGitLabToken, cat: CategorySecret, prio: 80,
		desc: "GitLab personal access token: glpat- + 20 or more",
		tp: []string{
			"PRIVATE-TOKEN: «glpat-" + fake("gl", 20, b64url) + "»",
			"fatal: unable to access 'https://oauth2:«glrt-" + fake("gl2", 20, b64url) + "»@gitlab.example.com/group/app.git/'",
			"GET /v2/users/me?gitlab_token=«gldt-" + fake("gl3", 20, b64url) + "»&ts=1790705047559",
		},
		fp: []string{"glpat-short", "glpat-", "PRIVATE-TOKEN: glpat-XXXXXXXXXXX-XXXXXXXX", "CI_JOB_TOKEN=glcbt-xxxxxxxxxxxxxxxxxxxxxxxx"},
	},
	{id: idSlackToken, typ: TypeSlackToken, cat: CategorySecret, prio: 80,
		desc: "Slack token: xoxb-/xoxp-/xoxa-/xoxr-/xoxs-/xoxe- with numeric parts",
		tp: []string{
			"token=«xoxb-" + fake("sl1", 12, "0123456789") + "-" + fake("sl2", 13, "0123456789") + "-" + fake("sl3", 24, alnum) + "»",
			"SLACK_APP_TOKEN=«xapp-1-A0" + fake("sl5", 9, upperD) + "-" + fake("sl6", 13, "0123456789") + "-" + fake("sl7", 64, hexd) + "»",
		},
		fp: []string{"xoxb-123", "xoxz-" + fake("sl4", 30, alnum),
			"SLACK_BOT_TOKEN=xoxb-xxxxxxxxx-xxxxxxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx", "token: xoxp-1234567890-1234567890-####################"},
	},
	{id: idSlackWebhook, typ: TypeSlackWebhook, cat: CategorySecret, prio: 80,
		desc: "Slack incoming webhook URL",
		tp: []string{
			"posting to «https://hooks.slack.com/services/T0" + fake("sw1", 8, upperD) + "/B0" + fake("sw2", 8, upperD) + "/" + fake("sw3", 24, alnum) + "» failed",
			"POST «https://hooks.slack.com/workflows/T0" + fake("sw7", 8, upperD) + "/A0" + fake("sw8", 9, upperD) + "/45678901234567890/" + fake("sw9", 24, alnum) + "» 200",
			"trigger «https://hooks.slack.com/triggers/E0" + fake("sw10", 8, upperD) + "/4567890123456/" + fake("sw11", 32, hexd) + "»",
			`{"webhook":"«https:\/\/hooks.slack.com\/services\/T0` + fake("sw4", 8, upperD) + `\/B0` + fake("sw5", 8, upperD) + `\/` + fake("sw6", 24, alnum) + `»"}`,
		},
		fp: []string{"https://hooks.slack.com/services/", "see hooks.slack.com/docs", "https://hooks.slack.com/workflows/T0" + strings.Repeat("X", 8) + "/A0" + strings.Repeat("X", 8) + "/123/" + strings.Repeat("x", 24)},
	},
	{id: idStripe, typ: TypeStripeKey, cat: CategorySecret, prio: 80,
		desc: "Stripe secret/restricted key (sk_live_, rk_live_, sk_test_, rk_test_) or webhook secret",
		tp: []string{
			"stripe key «sk_live_" + fake("st1", 24, alnum) + "»",
			"«rk_test_" + fake("st2", 32, alnum) + "»",
		},
		fp: []string{"pk_live_" + fake("st3", 24, alnum), "sk_live_123", "STRIPE_KEY=sk_live_XXXXXXXXXXXXXXXXXXXXXXXX", "sk_test_" + fake("st4", 8, alnum) + "****************"},
	},
	{id: idOpenAI, typ: TypeOpenAIKey, cat: CategorySecret, prio: 80,
		desc: "OpenAI API key: sk-proj-/sk-svcacct-/sk-admin- or legacy sk-...T3BlbkFJ...",
		tp: []string{
			"OPENAI_API_KEY=«sk-proj-" + fake("oa1", 64, b64url) + "»",
			"«sk-" + fake("oa2", 20, alnum) + "T3BlbkFJ" + fake("oa3", 20, alnum) + "»",
		},
		fp: []string{"sk-learn is installed", "sk-" + fake("oa4", 48, alnum), "sk-proj-short"},
	},
	{id: idAnthropic, typ: TypeAnthropicKey, cat: CategorySecret, prio: 80,
		desc: "Anthropic API key: sk-ant-api03-...",
		tp:   []string{"x-api-key: «sk-ant-api03-" + fake("an", 93, b64url) + "AA»"},
		fp:   []string{"sk-ant-short"},
	},
	{id: idSendGrid, typ: TypeSendGridKey, cat: CategorySecret, prio: 80,
		desc: "SendGrid API key: SG. + 22 + . + 43",
		tp: []string{"«SG." + fake("sg1", 22, b64url) + "." + fake("sg2", 43, b64url) + "»",
			"SENDGRID_API_KEY=«SG.ab-" + fake("sg4", 19, b64url) + "." + fake("sg5", 40, b64url) + "=yz»"},
		fp: []string{"SG.abc.def", "SG." + fake("sg3", 22, b64url), "SG." + fake("sg6", 22, b64url) + "." + fake("sg7", 50, b64url)},
	},
	{id: idNPM, typ: TypeNPMToken, cat: CategorySecret, prio: 80,
		desc: "npm access token: npm_ + 36",
		tp:   []string{"//registry.npmjs.org/:_authToken=«npm_" + fake("npm", 36, alnum) + "»"},
		fp:   []string{"npm_config_cache=/tmp/npm", "npm_" + fake("npm2", 20, alnum)},
	},
	{id: idJWT, typ: TypeJWT, cat: CategorySecret, prio: 75,
		desc: "JSON Web Token: three base64url parts, header decodes to JSON with \"alg\"",
		tp: []string{
			"Authorization: Bearer «" + fakeJWT("j1") + "»",
			`{"id_token":"«` + fakeJWT("j2") + `»"}`,
			"Cookie: lang=en; token=«" + fakeJWT("j3c") + "»; theme=dark",
			// wrapped at 76 columns by whatever printed it
			"2026-01-05T10:00:00Z DEBUG http: Authorization: Bearer «" + fakeJWT("j6")[:76-len("2026-01-05T10:00:00Z DEBUG http: Authorization: Bearer ")] + "\n    " + fakeJWT("j6")[76-len("2026-01-05T10:00:00Z DEBUG http: Authorization: Bearer "):] + "»",
		},
		fp: []string{
			"eyJub3QganNvbg." + fake("j3", 10, b64url) + "." + fake("j4", 10, b64url),
			base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"JWT"}`)) + ".eyJ9." + fake("j5", 10, b64url),
		},
	},
	{id: idURLCredentials, typ: TypeURLCredentials, cat: CategorySecret, prio: 70,
		desc: "password in a URL's userinfo (scheme://user:password@host)",
		tp: []string{
			"connecting to postgres://app:«" + fake("uc1", 12, alnum) + "»@db.internal:5432/app",
			"fetch https://deploy:«p%40ss" + fake("uc2", 6, alnum) + "»@git.example.com/repo.git",
			// reserved characters left unescaped in the password, read as drivers read them
			"dial mysql://svc:«" + fake("uc3", 10, alnum) + "?»@db.internal:3306/app failed",
			"jdbc:postgresql://report:«Welcome2004#»@10.0.0.5:5432/reports",
			"amqp://guest:«p@ss" + fake("uc4", 8, alnum) + "»@rabbit:5672/",
			"REDIS_URL=redis://default:«s3/cr;t!$&" + fake("uc5", 6, alnum) + "»@cache:6379/0",
			`uri="mongodb://admin:«a:b#` + fake("uc6", 8, alnum) + `»@mongo1:27017,mongo2:27017/?replicaSet=rs0"`,
			"npm http fetch GET 200 https://ci:«" + fake("uc7", 12, alnum) + "»@registry.npmjs.org/@types/node 31ms",
			`dsn="mysql://billing:«` + fake("uc8", 12, alnum) + `»@tcp(10.8.1.4:3306)/billing"`,
		},
		fp: []string{"https://user@example.com/path", "postgres://app:****@db/app", "redis://:${REDIS_PASSWORD}@cache:6379", "see http://example.com/a:b@c",
			"https://docs.example.com:8080/guide/@user", "https://medium.com/@author/post-1", "GET https://example.com/?next=a:b@c.com",
			"ssh://git@github.com:22/org/repo.git", "https://ci@registry.npmjs.org/@types/node"},
	},
	{id: idBasicAuth, typ: TypeBasicAuth, cat: CategorySecret, prio: 70,
		desc: "HTTP Basic credentials whose base64 decodes to user:password",
		tp: []string{
			"Authorization: Basic «" + base64.StdEncoding.EncodeToString([]byte("admin:"+fake("ba", 10, alnum))) + "»",
			"-H 'authorization: basic «" + base64.StdEncoding.EncodeToString([]byte("svc:"+fake("ba2", 12, alnum))) + "»'",
			"Authorization: Basic «" + base64.StdEncoding.EncodeToString([]byte("sk_live_"+fake("ba3", 24, alnum)+":")) + "»",
		},
		fp: []string{"Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("useronly")), "Basic authentication failed for user admin",
			"realm says Basic " + base64.StdEncoding.EncodeToString([]byte("svc:"))},
	},
	{id: idCreditCard, typ: TypeCreditCard, cat: CategoryPII, prio: 60,
		desc: "payment card number: brand prefix and length, Luhn check; contiguous or in printed groups",
		tp: []string{
			"card «4111 1111 1111 1111» declined",
			"pan=«5500005555555559»", `{"number": "«4111111111111111»"}`, "value=«5500005555555559»",
			"amex «3782-822463-10005» ok",
			`{"cc":"«6011000990139424»"}`,
		},
		fp: []string{
			"card 4111111111111112 declined",
			"blk_-4111111111111111 replicated",
			"ts=1445144423722 id=1234567812345670",
			"081109 203615 148 INFO",
			"order_id=4532015112830366 amount=12.50",
			"epoll_ctl(4, EPOLL_CTL_ADD, 3, {events=EPOLLIN|EPOLLOUT, data={u32=1560281091, u64=4576169526667771907}}) = 0",
			"order 4111-1111-1111",
		},
	},
	{id: idSSN, typ: TypeUSSSN, cat: CategoryPII, prio: 60,
		desc: "US social security number: SSA-valid area/group/serial; separators, or bare 9 digits with SSN context",
		tp:   []string{"SSN «123-45-6789» on file", "ssn=«219099999»", "social security number: «078 05 1120»"},
		fp: []string{
			"id 000-12-3456", "id 666-12-3456", "id 912-34-5678", "id 123-00-4567", "id 123-45-0000",
			"order 123456789 shipped", "date 2005-06-03", "ref 123 45 6789",
		},
	},
	{id: idIBAN, typ: TypeIBAN, cat: CategoryPII, prio: 60,
		desc: "IBAN: country length and ISO 13616 mod-97 check, compact or in groups of four",
		tp:   []string{"IBAN «DE89 3704 0044 0532 0130 00» ok", "iban=«GB82WEST12345698765432»", "«FR1420041010050500013M02606»"},
		fp:   []string{"DE89370400440532013001", "GB82WEST1234569876543", "XX12345678901234"},
	},
	{id: idBearer, typ: TypeBearerToken, cat: CategorySecret, prio: 50,
		desc: "bearer token after Authorization: Bearer (or a standalone Bearer credential)",
		tp: []string{
			"Authorization: Bearer «" + fake("br1", 40, alnum) + "»",
			`curl -H "authorization: bearer «` + fake("br2", 32, b64url) + `»" https://api`,
			"GET /cb?code=1&access_token=«" + fake("br3", 40, b64url) + "»&state=x",
			"UPDATE customers SET access_token = '«" + fake("br4", 40, hexd) + "»' WHERE id = 7",
			`upstream=api auth="Bearer «` + fake("br5", 36, alnum) + `»" status=200`,
			"authorization: bearer «" + fake("br6", 36, alnum) + "»",
		},
		fp: []string{"Authorization: Bearer <token>", "Bearer token expired", "Authorization: Bearer ${TOKEN}",
			`token_type=Bearer peer=10.250.26.37:40630`, `"token_type":"Bearer","expires_in":3600`},
	},
	{id: idPassword, typ: TypePassword, cat: CategorySecret, prio: 45,
		desc: "value of a password key (password, passwd, pwd, passphrase, db_pass ...)",
		tp: []string{
			"login user=bob password=«hunter22» ok",
			`{"user":"bob","password":"«S3cr3t!pa ss»"}`,
			"DB_PASSWORD: «" + fake("pw", 10, alnum) + "»",
			"SMTP_PASS=«dragon-tiger-orchid65»",
			"GET /login?user=bob&pwd=«Tr0ub4dor»&next=/",
			`msg="{\"password\":\"«p4ss-w0rd»\"}"`,
			"spring.datasource.password = «" + fake("pw2", 12, alnum) + "»",
			"<user>bob</user><password>«" + fake("pw3", 12, alnum) + "»</password>",
			"--password=«" + fake("pw4", 12, alnum) + "»",
			"executing: CREATE USER app_rw WITH PASSWORD '«velvet-sunset-velvet35»'",
			`alter role app with password "«` + fake("pw8", 12, alnum) + `»";`,
			"GRANT ALL ON db.* TO 'app'@'%' IDENTIFIED BY '«" + fake("pw5", 12, alnum) + "»';",
			"+ mysql -h db -u root -p«" + fake("pw6", 12, alnum) + "» app",
			"docker login --password «" + fake("pw7", 16, alnum) + "» registry.example.com",
			"42 Query	SET PASSWORD FOR 'app'@'%' = '«" + fake("pw9", 14, alnum) + "»'",
			`1763885521.123456 [0 10.0.0.7:51234] "AUTH" "«` + fake("pw10", 15, alnum) + `»"`,
			`1763885521.123456 [0 10.0.0.7:51234] "AUTH" "app" "«` + fake("pw11", 15, alnum) + `»"`,
			"+ redis-cli -h cache.internal -p 6379 -a «" + fake("pw12", 16, alnum) + "» ping",
			`"cmd": "sshpass -p '«` + fake("pw13", 14, alnum) + `»' ssh -p 2222 deploy@bastion uptime"`,
			"+ docker login -u ci -p «" + fake("pw14", 16, alnum) + "» registry.example.com",
			"+ curl -sS -u ci-bot:«" + fake("pw15", 14, alnum) + "» https://repo.example.com/api",
			"+ curl --user admin:«" + fake("pw16", 14, alnum) + "» http://jenkins:8080/job/x/build",
			"db:\n  password:\n    «" + fake("pw17", 14, alnum) + "»\n  host: db",
			`"env": [{"name": "DB_PASSWORD", "value": "«` + fake("pw18", 14, alnum) + `»"}]`,
			"    - name: SMTP_PASSWORD\n      value: «" + fake("pw19", 14, alnum) + "»\n",
			`{"Key": "Password", "Value": "«` + fake("pw20", 14, alnum) + `»"}`,
			`:password => "«` + fake("pw21", 12, alnum) + `»", :host => "db"`,
			`'db_pass' => '«` + fake("pw23", 12, alnum) + `»',`,
			"pass: «D#6)e0ht^@61kU5!^!owrX» // encrypted",
			// assignment operators of other languages, setters in code
			`DB_PASSWORD := "«` + fake("pw27", 12, alnum) + `»"`, "SMTP_PASSWORD ?= «" + fake("pw28", 12, alnum) + "»", "ADMIN_PASSWORD ::= «" + fake("pw29", 12, alnum) + "»",
			`$password .= "«` + fake("pw30", 12, alnum) + `»";`, `os.environ.setdefault('DB_PASSWORD', '«` + fake("pw31", 12, alnum) + `»')`,
			// a password piped into a login
			`+ echo "«` + fake("pw33", 14, alnum) + `»" | docker login -u ci --password-stdin registry.example.com`,
			`printf '%s' '«` + fake("pw34", 14, alnum) + `»' | podman login --password-stdin quay.io`,
			"helm registry login ghcr.io --password-stdin <<< «" + fake("pw35", 14, alnum) + "»", "(password=«s3cret(1)x»)", "Passwort: «" + fake("pw24", 10, alnum) + "»", "mot de passe: «" + fake("pw25", 10, alnum) + "»", `"senha":"«` + fake("pw26", 10, alnum) + `»"`,
		},
		fp: []string{
			"password=********", "password: ${DB_PASSWORD}", "password=<redacted>", "password=[REDACTED]",
			"Failed password for root from 10.0.0.1 port 22", "password_length=12", "password=null",
			"error: password: must be at least 8 characters",
			"PWD=/home/user", `"password": "{{ .Secret }}"`, "password=%s", "password: true", "password=",
			"check pass; user unknown", "password changed for user bob", "<password></password>", "<password/>",
			"<password>${DB_PASSWORD}</password>", "ssh -p 22 host", "mkdir -p /var/lib/app", "docker login --password-stdin",
			"set password for user deploy: <redacted> request_id=\"322a2f55\"", "ALTER USER bob PASSWORD 'xxxxxxxx'", "WARNING! Using --password via the CLI is insecure.",
			"db_password: vault:secret/data/app#db_password", "PASSWORD=$(cat /run/secrets/db)",
			"+ ssh -p 2222 deploy@bastion", "+ redis-cli -h cache -p 6379 ping", "+ docker run -p 8080:80 nginx",
			"+ sshpass -p \"$SSHPASS\" ssh -p 2222 deploy@bastion", "+ curl -u admin https://repo.example.com",
			`+ curl -u "$CI_USER:$CI_TOKEN" https://repo.example.com`, "+ mysql -u root -p -e 'show databases'",
			"Enter password:\nLogin OK for bob", `"passwd:" and "group:" lines in /etc/nsswitch.conf`,
			"--- PASS: TestLoginFlow (0.02s)", "PASS: config.guess checks (137 tests)", "3. multi-pass: First pass now uses slow-firstpass",
			"gpg: The option --passphrase= can be empty.", "set_challenge_password: don't accept null password",
			"use the new --password options.", "configure: set PWD=`pwd` at the top", "s#password: cvs#password: [empty password]#", "password:\n  - minLength: 12", "password:\nuser: bob",
			`{"name": "DB_PASSWORD_FILE_PATH", "value": "/run/secrets/db"}`, `{"name": "LOG_LEVEL", "value": "debug"}`,
			`{"label": "password", "value": "` + fake("pw22", 12, alnum) + `"}`, `"password" => nil`,
			`assertEquals("password", "` + fake("pw32", 12, alnum) + `")`, "\t* tree-ssa-strlen.cc (strlen_pass::handle_assign): New.",
			`+ echo "$CI_REGISTRY_PASSWORD" | docker login -u ci --password-stdin`, "cat ~/token.txt | docker login --password-stdin", "echo -n ${{ secrets.PW }} | docker login --password-stdin", "if password != \"\" {", `log.info("password", "was rotated")`,
		},
	},
	{id: idSession, typ: TypeSessionToken, cat: CategorySecret, prio: 45,
		desc: "session identifiers: session/sid keys and session-like cookies",
		tp: []string{
			"Cookie: theme=dark; sessionid=«" + fake("se1", 32, hexd) + "»; lang=en",
			"JSESSIONID=«" + fake("se2", 32, upperD) + "»",
			"Set-Cookie: sid=«" + fake("se3", 24, alnum) + "»; Path=/; HttpOnly",
			`{"session_id": "«` + fake("se4", 20, alnum) + `»"}`,
			"AWS_SESSION_TOKEN=«" + fake("se5", 120, b64) + "»",
			`{'X-Amz-Date': b'20240101T000000Z', 'X-Amz-Security-Token': b'«` + fake("se9", 120, b64) + `»'}`,
			"SESSION_SECRET_TOKEN=«" + fake("se6", 40, b64url) + "»",
			"GET /b/o?X-Amz-Expires=3600&X-Amz-Security-Token=«" + fake("se8", 120, alnum) + "»&X-Amz-Signature=ab",
			"Cookie: theme=dark; connect.sid=«" + fake("se7", 32, b64url) + "»",
			`"GET /shop/cart;jsessionid=«` + fake("se9", 32, upperD) + `»?item=3 HTTP/1.1" 200`,
			`http.request.header.cookie="_app_session=«-` + fake("se10", 32, b64url) + `»; theme=dark"`,
			"_myapp_session=«" + fake("se11", 40, b64url) + "»",
		},
		fp: []string{"session_id=null", "Cookie: lang=en; theme=dark", "session=new", "ssid=HomeWifi5G",
			"Cookie: _ga=GA1.2.123456789.1700000000; _gid=GA1.2.987654321.1700000000",
			`#1 0x00007ffff7b190ba in server_recv_params (session=0x636fc0, data=0x634e6e "")`,
			// ids and counters under session keys: a token has letters, length and entropy
			"2016-09-28 04:30:31, Info CBS Session: 30546173_4261722401 initialized by client WindowsUpdateAgent.",
			"session_id=1700000000123 user=42", `{"sessionId": "42-1700000000"}`, "sid=10234567", "Cookie: session=1700000000.123456",
			"* allow DESKTOP_SESSION='Xfce Session' to match xfce"},
	},
	{id: idGeneric, typ: TypeGenericSecret, cat: CategorySecret, prio: 40,
		desc: "high-entropy value of a secret-named key (client_secret, api_key, access_token, credentials ...)",
		tp: []string{
			"client_secret=«" + fake("gs1", 32, alnum) + "»",
			`{"api_key": "«` + fake("gs2", 24, alnum) + `»"}`,
			"X-Api-Key: «" + fake("gs3", 32, hexd) + "»",
			"SECRET_KEY_BASE=«" + fake("gs4", 64, hexd) + "»",
			"AZURE_STORAGE_KEY_NAME=x secret_key: «" + fake("gs6", 24, b64) + "»",
			"token=«" + fake("gs5", 32, alnum) + "»",
			`"GET /oauth/callback?code=«4/0Ab` + fake("gs7", 60, b64url) + `»&state=af0ifjsldkj HTTP/1.1" 302`,
			"grant_type=authorization_code code=«" + fake("gs8", 20, hexd) + "» redirect_uri=https://app/cb",
			"stringData:\n  API_SECRET: |\n    «" + fake("gs9", 32, alnum) + "»\n",
			`System.setProperty("STRIPE_TOKEN", "«` + fake("gs10", 32, alnum) + `»");`,
			"<apiToken>«" + fake("gs11", 32, alnum) + "»</apiToken>", "<apiToken>\n    «" + fake("gs12", 32, alnum) + "»\n</apiToken>",
			"Authorization: Api-Token «" + fake("gs13", 32, alnum) + "»", "authorization: token «" + fake("gs14", 40, alnum) + "»",
			"creds=«" + fake("gs15", 32, alnum) + "»", "app_secret_value=«" + fake("gs16", 32, alnum) + "»", "x_api_token_v2: «" + fake("gs17", 32, alnum) + "»",
			"STRIPE_SECRET_KEY_LIVE=«" + fake("gs18", 32, alnum) + "»",
			// a value wrapped at a fixed width
			"2026-01-05T10:00:00Z DEBUG config loaded: client_secret=«" + fake("gs21", 24, alnum) + "\n  " + fake("gs22", 40, alnum) + "»",
			"2026-01-05T10:00:00Z DEBUG config loaded: client_secret=«" + fake("gs23", 24, alnum) + "»\n2026-01-05T10:00:01Z INFO next line",
		},
		fp: []string{
			"wtoken = AppWindowToken{9f4ef63 token=Token{a64f992 ActivityRecord{de9231d",
			"max_tokens=1024 prompt_tokens=52", "next_page_token=abc", "api_key=${API_KEY}", "token_type=Bearer",
			"Kind: YARN_AM_RM_TOKEN, Service: , Ident: (appAttemptId", "key=user:42", "secret=true",
			`key="2025/exports/b7c5b34ff8.csv"`, "api_key: /etc/app/api.key",
			"worker exited with code=137", "GET /status?code=200&lang=en", `{"code":"ResourceNotFoundException"}`,
			"error_code=INVALID_GRANT_2024", "code=2f1e6c5a-3b4d-4e5f-8a9b-0c1d2e3f4a5b", "+ Add file (GnuPG key: 0x7EC2DBB6F4DBF434).",
			"rsa pss key: gnutls_x509_crt_verify_data2 |", "<key>ifdProductString</key>", "token: https://gitlab.com/libidn/libidn2/issues/42",
			"but it affects gnutls as they share similar code:\n    https://gitlab.com/libidn/libidn2/issues/42",
			"secret_name=" + fake("gs19", 32, alnum), "api_key_id=" + fake("gs20", 20, alnum), "token_expires_at=2026-11-23T10:00:00Z", "<apiToken>\n</apiToken>",
			"app_secret_version := 3", `setenv("API_KEY", "", 1)`,
		},
	},
	{id: idEmail, typ: TypeEmail, cat: CategoryPII, prio: 30,
		desc: "e-mail address",
		tp: []string{"user «jane.doe@example.com» logged in", `{"email":"«ops+alerts@corp.example.org»"}`, "mailto:«a.b-c@sub.example.co.uk»",
			"GET /unsubscribe?email=«jane.doe%40example.com»&list=weekly HTTP/1.1", "From: Jane <«jane@corp.io»>"},
		fp: []string{
			"loaded icon@2x.png", "java.lang.Object@1a2b3c", "npm install lodash@4.17.21",
			"postgres://app:pw12345@db.example.com/app", "image nginx@sha256:abcd", "git@github.com:org/repo.git",
			"Created symlink /etc/systemd/system/getty.target.wants/getty@tty1.service → /lib/systemd/system/getty@.service.",
		},
	},
	{id: idPhone, typ: TypePhone, cat: CategoryPII, prio: 20,
		desc: "phone number: E.164 with +, (NXX) NXX-XXXX, NXX-NXX-XXXX, or digits with phone context",
		tp: []string{
			"call «+1 415 555 0132» now", "phone: «(415) 555-0132»", "sms to «+442079460958»", "tel=«415-555-0132»",
			"mobile «4155550132»", "«+49 30 1234567»", "42,Maria,maria@example.com,«+1 415 555 0134»,2026-11-23", "43,Noah,«(212) 555-0187»,2026", "phone: «020 7946 0958»", "tel: «+44 (0) 20 7946 0958»",
			"Phone: «555-123-4567»", "call «(555) 123-4567»", "delivered to msisdn «447700900123» status=DELIVRD",
			// a label after the number
			"«07700 900123» is my mobile", "reach me on «4155550132» (cell)", "«447700900123» mobile verified", "«020 7946 0958» - office phone", "whatsapp «5511987654321» opted in", "mobile: «00447700900123»", "phone «07700900123»",
		},
		fp: []string{
			"offset +0800", "took 4155550132 ms", "pid 1234567890", "version 1.2.3.4567", "x+12345678901",
			"2015-10-18 18:01:47,978", "lat=+37.7749 lon=-122.4194", "120-555-1234",
			"hotel booking 4155550132", "telemetry batch 4155550132", "callback 4155550132",
			"device_serial=4155550123", "call 12 took 3000 ms", "phone 2024-05-01 10:00",
			"ticket 555-123-4567", "llvm-toolchain-snapshot (1:10~+20191229111838+6991d5728f1-1~exp1)", "built +20191229111838", "(555) 123-4567", "Processed 447700900123 bytes", "seq=00442079460958", "phone 0000000000123",
			"connect.sid=s%3AxA-tnt2aqCMSsVm.BjV6FaxHA2koLvov;+lang=en 401 0 0 8895",
			"took 4155550132 ms to call the api", "4155550132 calls handled", "job 4155550132 is my favourite", "?mobile=1&ts=1792472740570",
		},
	},
	{id: idIP, typ: TypeIPAddress, cat: CategoryPII, prio: 10,
		desc: "IPv4 or IPv6 address (not versions, netmasks, timestamps or MAC addresses)",
		tp: []string{
			"from «10.251.73.220»:50010", "rhost=«218.188.2.4» ", "client «2001:db8::8a2e:370:7334» connected",
			"[«fe80::1»]:8080", "«192.168.1.1»", "[client «2001:db8::42»:50412] AH01630", "peer «::ffff:10.0.0.7» closed", "«2001:0db8:85a3:0000:0000:8a2e:0370:7334»", "Node: ip-10-0-254-48.ec2.internal/«10.0.254.48»",
			"10.0.0.2:5000 -> «10.0.0.1»:80", "ip = «10.1.2.3»", "host=«10.9.8.7»", "<ip>«10.2.2.2»</ip>",
			// small numbers are an address when something says so
			"nameserver «8.8.8.8»", "dns=«1.1.1.1»", "PING one.one.one.one («1.1.1.1») 56(84) bytes of data.",
			"Accepted publickey for ci from «3.9.5.1» port 50122 ssh2", "connect «4.2.2.2»:53 timeout", "(«10.20.30.40»)",
			"mLp(FF:F2:9F:16:CF:0F:00:0D:60:E9:30:F0), mIp(«10.2.2.80»), mType(4)", `{"ip": "«4.3.2.1»"}`, "(get_dns_cert): Use DNS resolver at «8.8.8.8» in tor-mode.", "upstream dns server is «9.9.9.9»", "transitions for interface en0 («10.142.110.44»)", "peerIp(«5.6.7.8»)",
		},
		fp: []string{
			"version 1.2.3.4", "Chrome/120.0.0.0", "oid 1.2.3.4.5", "at 12:34:56", "std::vector", "mac 00:1a:2b:3c:4d:5e",
			"2005.06.03", "mask 255.255.255.0", "v1.2.3.4", "listen 0.0.0.0:80", "ts 2005-06-03-15.42.50.675872",
			"Bump the build-dep on x11proto-randr-dev to (>= 1.2.99.2).", "requests==2.31.0.1", "entry 1:4.1.4.2+svn3283-3", "dpkg 1.15.8.1~exp1",
			// four-part versions without an address's context
			"2016-09-28 04:30:31, Info CBS Appl: Package_for_KB2533552~31bf3856ad364e35~amd64~~6.1.1.0, Applicable",
			"Windows v6.1.7601.23505 (win7sp1_ldr)", "dpkg (1.15.8.1) unstable; urgency=low", "bump Standards-Version to 3.9.5.0",
			"Loaded module ntdll.dll (6.1.7601.2)", "libfoo (2.10.3.1) installed", `{"version": "10.0.19041.1"}`, `{"version": "120.10.3.4"}`,
		},
	},
}

// vendorExamples are documented example credentials; they are never findings.
var vendorExamples = []string{
	"AKIAIOSFODNN7EXAMPLE",
	"ASIAIOSFODNN7EXAMPLE",
	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
	"sk_test_4eC39HqLyjWDarjtT1zdp7dc",
	"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
}

func isVendorExample(v []byte) bool {
	for _, x := range vendorExamples {
		if string(v) == x {
			return true
		}
	}
	return strings.HasSuffix(string(v), "EXAMPLE") || strings.HasSuffix(string(v), "EXAMPLEKEY")
}
