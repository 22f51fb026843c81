package detectset

import (
	"errors"
	"hash/crc32"
	"regexp"
	"strings"
)

// Shape checks for labelled values, used by the tests to catch generator
// bugs. They are deliberately a different implementation from the generator
// (regexps and checksums over the rendered text).
var shapes = map[string]*regexp.Regexp{
	"email":                 regexp.MustCompile(`^[a-z0-9._+-]+@[a-z0-9.-]+\.[a-z]{2,}$`),
	"phone":                 regexp.MustCompile(`^[+(0-9][0-9 ()+-]{9,16}[0-9]$`),
	"credit_card":           regexp.MustCompile(`^[0-9][0-9 -]{13,17}[0-9]$`),
	"iban":                  regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[A-Z0-9 ]{11,34}$`),
	"us_ssn":                regexp.MustCompile(`^(\d{3}-\d{2}-\d{4}|\d{9})$`),
	"ip_address":            regexp.MustCompile(`^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:]+)$`),
	"aws_access_key_id":     regexp.MustCompile(`^(AKIA|ASIA)[A-Z2-7]{16}$`),
	"aws_secret_access_key": regexp.MustCompile(`^[A-Za-z0-9/+]{40}$`),
	"gcp_api_key":           regexp.MustCompile(`^AIza[A-Za-z0-9_-]{35}$`),
	"gcp_service_account":   regexp.MustCompile(`^[0-9a-f]{40}$`),
	"azure_storage_key":     regexp.MustCompile(`^[A-Za-z0-9/+]{86}==$`),
	"github_token":          regexp.MustCompile(`^(gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})$`),
	"gitlab_token":          regexp.MustCompile(`^(glpat|gldt|glrt)-[A-Za-z0-9_-]{20}$`),
	"slack_token":           regexp.MustCompile(`^xox[bp]-[0-9]+-[0-9]+(-[0-9]+)?-[A-Za-z0-9]+$|^xapp-1-A[A-Z0-9]+-[0-9]+-[0-9a-f]+$`),
	"slack_webhook_url":     regexp.MustCompile(`^https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{24}$`),
	"stripe_key":            regexp.MustCompile(`^(sk|rk)_(live|test)_[A-Za-z0-9]{24,99}$`),
	"openai_api_key":        regexp.MustCompile(`^sk-(proj-|svcacct-)?[A-Za-z0-9_-]+T3BlbkFJ[A-Za-z0-9_-]+$`),
	"anthropic_api_key":     regexp.MustCompile(`^sk-ant-(api03|admin01)-[A-Za-z0-9_-]{93}AA$`),
	"sendgrid_api_key":      regexp.MustCompile(`^SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$`),
	"npm_token":             regexp.MustCompile(`^npm_[A-Za-z0-9]{36}$`),
	"jwt":                   regexp.MustCompile(`^eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`),
	"private_key":           regexp.MustCompile(`^-----BEGIN ([A-Z]+ )?PRIVATE KEY-----(\r?\n|(\\)+n)[A-Za-z0-9+/=\\n\r\n ]+-----END ([A-Z]+ )?PRIVATE KEY-----$`),
	"password":              regexp.MustCompile(`^[A-Za-z0-9!*~._-]{8,40}$`),
	"url_credentials":       regexp.MustCompile(`^[A-Za-z0-9!*~._-]{8,40}$`),
	"basic_auth":            regexp.MustCompile(`^[A-Za-z0-9+/]+={0,2}$`),
	"bearer_token":          regexp.MustCompile(`^[A-Za-z0-9._-]{32,}$`),
	"session_token":         regexp.MustCompile(`^[A-Za-z0-9%._+/-]{26,}$`),
	"generic_secret":        regexp.MustCompile(`^[A-Za-z0-9_/-]{32,64}$`), // '/' in OAuth codes (4/0A...)
}

func checkValue(typ, v string) error {
	re, ok := shapes[typ]
	if !ok {
		return errors.New("no shape check for type")
	}
	if !re.MatchString(v) {
		return errors.New("value does not have the type's shape")
	}
	switch typ {
	case "credit_card":
		d := strings.NewReplacer(" ", "", "-", "").Replace(v)
		if len(d) < 15 || len(d) > 16 || !LuhnValid(d) {
			return errors.New("not a Luhn-valid PAN")
		}
	case "iban":
		if !IBANValid(strings.ReplaceAll(v, " ", "")) {
			return errors.New("IBAN checksum fails")
		}
	case "github_token", "npm_token":
		if i := strings.Index(v, "_"); !strings.HasPrefix(v, "github_pat_") {
			body := v[i+1:]
			if base62Pad(crc32IEEE(body[:30]), 6) != body[30:] {
				return errors.New("CRC32 checksum fails")
			}
		}
	}
	return nil
}

// IBANValid checks the ISO 13616 mod-97 checksum digit by digit.
func IBANValid(s string) bool {
	if len(s) < 15 {
		return false
	}
	rem := 0
	for _, ch := range s[4:] + s[:4] {
		switch {
		case ch >= '0' && ch <= '9':
			rem = (rem*10 + int(ch-'0')) % 97
		case ch >= 'A' && ch <= 'Z':
			rem = (rem*100 + int(ch-'A'+10)) % 97
		default:
			return false
		}
	}
	return rem == 1
}

func crc32IEEE(s string) uint32 { return crc32.ChecksumIEEE([]byte(s)) }
