// Package detectors finds PII and secrets in log text and redacts them.
// It is the leaf every other package stands on: it imports nothing from this module.
package detectors

// Category groups finding types for scoring and alerting.
type Category string

const (
	CategoryPII    Category = "pii"
	CategorySecret Category = "secret"
)

// Canonical finding type ids (design.md). Extend freely; never rename.
const (
	TypeEmail          = "email"
	TypePhone          = "phone"
	TypeCreditCard     = "credit_card"
	TypeUSSSN          = "us_ssn"
	TypeIBAN           = "iban"
	TypeIPAddress      = "ip_address"
	TypePersonName     = "person_name"    // LLM pass only
	TypeStreetAddress  = "street_address" // LLM pass only
	TypeAWSAccessKeyID = "aws_access_key_id"
	TypeAWSSecretKey   = "aws_secret_access_key"
	TypeGCPAPIKey      = "gcp_api_key"
	TypeGCPServiceAcct = "gcp_service_account"
	TypeAzureStorage   = "azure_storage_key"
	TypeGitHubToken    = "github_token"
	TypeGitLabToken    = "gitlab_token"
	TypeSlackToken     = "slack_token"
	TypeSlackWebhook   = "slack_webhook_url"
	TypeStripeKey      = "stripe_key"
	TypeOpenAIKey      = "openai_api_key"
	TypeAnthropicKey   = "anthropic_api_key"
	TypeSendGridKey    = "sendgrid_api_key"
	TypeNPMToken       = "npm_token"
	TypeJWT            = "jwt"
	TypePrivateKey     = "private_key"
	TypePassword       = "password"
	TypeURLCredentials = "url_credentials"
	TypeBasicAuth      = "basic_auth"
	TypeBearerToken    = "bearer_token"
	TypeSessionToken   = "session_token"
	TypeGenericSecret  = "generic_secret"
)

// Finding is one detected sensitive value. It never carries the raw value
// outside this package: Value is unexported from JSON and cleared by every
// public API that hands findings to callers outside the redact step.
type Finding struct {
	Type       string   `json:"type"`
	Category   Category `json:"category"`
	Rule       string   `json:"rule,omitempty"` // detector id that produced it (custom rules have their own)
	Start      int64    `json:"start"`          // byte offset into the (decompressed) content
	End        int64    `json:"end"`            // exclusive
	Line       int      `json:"line"`           // 1-based
	Column     int      `json:"column"`         // 1-based byte column within the line
	Confidence float64  `json:"confidence"`     // 0..1
	// Fingerprint is a keyed HMAC-SHA256 of the value (hex, truncated), stable
	// across uploads for the same key so security can correlate without seeing it.
	Fingerprint string `json:"fingerprint"`
	// Masked is a display form that reveals no more than the redaction mode allows
	// (e.g. "****1111" for a card in partial mode, "[EMAIL:3f9a1c2e]" otherwise).
	Masked string `json:"masked,omitempty"`
}
