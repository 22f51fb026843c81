package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/sashabaranov/go-openai/jsonschema"

	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/prompts"
	"github.com/logtriage/logtriage/triage"
)

// PIIDetector is a triage.PIIDetector backed by an OpenAI-compatible
// endpoint: it asks for the person names and street addresses in
// pattern-redacted lines, then finds each answer in its line itself. The
// model's text is only a search term: offsets, lines it did not see and
// text that is not in the line never become spans. It has its own
// concurrency slots and counters, and the classifier's retries, backoff and
// timeouts. It is safe for concurrent use.
type PIIDetector struct {
	base

	spans, dropped atomic.Uint64 // returned; entities not located or implausible
}

var (
	_ triage.PIIDetector = (*PIIDetector)(nil)
	_ triage.PIIMetered  = (*PIIDetector)(nil)
)

// piiAnswer is what the model must return; the request's schema is
// generated from it, with the entity types as an enum.
type piiAnswer struct {
	Entities []piiEntity `json:"entities" description:"Every person name and street address, one item per occurrence"`
}

type piiEntity struct {
	Line int    `json:"line" description:"The number printed before the line"`
	Text string `json:"text" description:"The entity copied character for character from that line"`
	Type string `json:"type" description:"The entity type"`
}

const piiSchemaName = "pii_entities"

// piiTypes are the types asked for, as the prompt describes them.
var piiTypes = []prompts.EntityType{
	{Name: detectors.TypePersonName, Description: "the name of a real person (first, last or full name, with initials or titles as written)"},
	{Name: detectors.TypeStreetAddress, Description: "a postal street address (house number and street, optionally with unit, city, region and postal code)"},
}

// Bounds on one request and one answer.
const (
	piiChunkLines   = 200       // lines per request
	piiChunkBytes   = 24 * 1024 // and bytes: a request stays well inside any context window
	maxPIIEntities  = 400       // entities read from one answer; the rest is a runaway list
	maxNameBytes    = 80
	maxNameWords    = 6
	maxAddressBytes = 200
)

// NewPIIDetector checks opts, fills in defaults as New does and returns a
// PIIDetector using the pii prompt version opts.PIIPromptVersion.
func NewPIIDetector(opts Options) (*PIIDetector, error) {
	if opts.PIIPromptVersion == "" {
		opts.PIIPromptVersion = prompts.PIILatest
	}
	d := &PIIDetector{}
	if err := d.init(opts, "pii", opts.PIIPromptVersion, piiSchema); err != nil {
		return nil, err
	}
	return d, nil
}

// piiSchema is the schema of piiAnswer with the entity definition inlined
// (local servers handle $ref poorly) and the types closed.
func piiSchema() (jsonschema.Definition, error) {
	def, err := jsonschema.GenerateSchemaForType(piiAnswer{})
	if err != nil {
		return jsonschema.Definition{}, fmt.Errorf("pii schema: %w", err)
	}
	entities, ok := def.Properties["entities"]
	if !ok || entities.Items == nil {
		return jsonschema.Definition{}, fmt.Errorf("pii schema has no entities list")
	}
	item := *entities.Items
	if item.Ref != "" {
		ref, ok := def.Defs[strings.TrimPrefix(item.Ref, "#/$defs/")]
		if !ok {
			return jsonschema.Definition{}, fmt.Errorf("pii schema: unresolved %s", item.Ref)
		}
		item = ref
	}
	typ, ok := item.Properties["type"]
	if !ok {
		return jsonschema.Definition{}, fmt.Errorf("pii schema has no entity type")
	}
	item.Properties = map[string]jsonschema.Definition{"line": item.Properties["line"], "text": item.Properties["text"], "type": typ}
	for _, t := range piiTypes {
		typ.Enum = append(typ.Enum, t.Name)
	}
	item.Properties["type"] = typ
	entities.Items = &item
	def.Properties = map[string]jsonschema.Definition{"entities": entities}
	def.Defs = nil
	return *def, nil
}

// Model is the model the detector asks.
func (d *PIIDetector) Model() string { return d.opts.Model }

// PromptVersion is the pii prompt version, e.g. "pii-v1".
func (d *PIIDetector) PromptVersion() string { return d.prompt.Version }

// DetectPII finds the person names and street addresses in lines. Errors
// carry a triage kind as Classify's do and never quote the lines.
func (d *PIIDetector) DetectPII(ctx context.Context, lines []string) ([]triage.PIISpan, error) {
	spans, _, err := d.DetectPIIMetered(ctx, lines)
	return spans, err
}

// DetectPIIMetered is DetectPII that also reports the tokens spent, on
// failure too. Long inputs are asked about in chunks, one after another.
func (d *PIIDetector) DetectPIIMetered(ctx context.Context, lines []string) ([]triage.PIISpan, triage.Tokens, error) {
	d.stats.calls.Add(1)
	var info triage.ClassifierInfo
	var spans []triage.PIISpan
	for _, c := range chunks(lines) {
		found, err := d.detectChunk(ctx, lines[c[0]:c[1]], &info)
		if err != nil {
			d.stats.failed.Add(1)
			return nil, info.Tokens, err
		}
		for _, s := range found {
			s.Line += c[0]
			spans = append(spans, s)
		}
	}
	d.stats.succeeded.Add(1)
	return spans, info.Tokens, nil
}

// chunks splits lines into [start, end) ranges within the request bounds.
func chunks(lines []string) [][2]int {
	var out [][2]int
	start, size := 0, 0
	for i, l := range lines {
		if i > start && (i-start == piiChunkLines || size+len(l) > piiChunkBytes) {
			out = append(out, [2]int{start, i})
			start, size = i, 0
		}
		size += len(l) + 1
	}
	if start < len(lines) {
		out = append(out, [2]int{start, len(lines)})
	}
	return out
}

func (d *PIIDetector) detectChunk(ctx context.Context, lines []string, info *triage.ClassifierInfo) ([]triage.PIISpan, error) {
	system, user, err := d.prompt.RenderPII(prompts.PIIData{Lines: lines, Types: piiTypes})
	if err != nil {
		return nil, triage.Internal("pii", fmt.Errorf("llm: %w", err))
	}
	api := d.api()
	resp, err := api.complete(ctx, "pii", api.request(system, user, piiSchemaName, &d.schema), info)
	if err != nil {
		return nil, err
	}
	content, err := api.content(resp)
	if err != nil {
		return nil, triage.Internal("pii", err)
	}
	var a piiAnswer
	if err := json.Unmarshal([]byte(unfence(content)), &a); err != nil {
		return nil, triage.Internal("pii", fmt.Errorf("llm: %w: not a JSON object of the schema", ErrBadAnswer))
	}
	spans, dropped := locate(lines, a.Entities)
	d.spans.Add(uint64(len(spans)))
	d.dropped.Add(uint64(dropped))
	return spans, nil
}

// locate turns the model's entities into spans: each accepted text at
// every whole-word occurrence in the line the model named. It reports how
// many entities it dropped.
func locate(lines []string, entities []piiEntity) ([]triage.PIISpan, int) {
	var spans []triage.PIISpan
	dropped := 0
	seen := map[[3]int]bool{}
	for i, e := range entities {
		if i == maxPIIEntities {
			dropped += len(entities) - i
			break
		}
		// Models sometimes copy the line's number prefix along with the text.
		text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(e.Text), strconv.Itoa(e.Line)+": "))
		if e.Line < 1 || e.Line > len(lines) || !plausible(text, e.Type) {
			dropped++
			continue
		}
		line := lines[e.Line-1]
		at := triage.WordOccurrences(line, text)
		if len(at) == 0 {
			dropped++ // not in the line: made up, or a line it misread
			continue
		}
		for _, start := range at {
			key := [3]int{e.Line - 1, start, len(text)}
			if seen[key] {
				continue
			}
			seen[key] = true
			spans = append(spans, triage.PIISpan{Line: e.Line - 1, Start: start, End: start + len(text), Type: e.Type, Confidence: confidence(text, e.Type)})
		}
	}
	return spans, dropped
}

// confidence: a full name or an address with a number is more likely what
// the model says than a single word.
func confidence(text, typ string) float64 {
	if typ == detectors.TypeStreetAddress {
		if strings.ContainsFunc(text, unicode.IsDigit) {
			return 0.8
		}
		return 0.6
	}
	if len(strings.Fields(text)) > 1 {
		return 0.8
	}
	return 0.6
}

// identifierLike matches what logs are full of and names never are: dotted
// or underscored identifiers (com.acme.Foo, db-01.internal, user_name),
// paths, URLs, key=value, code.
var identifierLike = regexp.MustCompile(`[\p{L}\p{N}][._][\p{L}\p{N}]|[/\\:@=$#<>{}()\[\]|;*%&+]`)

// classSuffixes end type and component names, not people.
var classSuffixes = []string{"exception", "error", "service", "manager", "handler", "factory", "impl", "controller", "client", "server", "provider", "listener", "thread", "worker", "executor"}

// plausible drops entity texts that cannot be what the type says: blank,
// too long, placeholders, common log and software words, identifiers.
func plausible(text, typ string) bool {
	if text == "" || !utf8.ValidString(text) || strings.ContainsAny(text, "[]\n\r\t") || !strings.ContainsFunc(text, unicode.IsLetter) {
		return false
	}
	switch typ {
	case detectors.TypePersonName:
		if len(text) > maxNameBytes || identifierLike.MatchString(text) || strings.ContainsFunc(text, unicode.IsDigit) {
			return false
		}
		words := strings.FieldsFunc(text, func(r rune) bool { return unicode.IsSpace(r) || r == ',' })
		if len(words) > maxNameWords {
			return false
		}
		if len(words) == 1 && utf8.RuneCountInString(strings.Trim(text, ".'-")) < 2 {
			return false // an initial alone is not a name
		}
		common := 0
		for _, w := range words {
			lw := strings.ToLower(strings.Trim(w, ".'-"))
			if humps, prefix := camelHumps(w); humps > 1 || humps == 1 && prefix > 3 {
				return false // TaskAttempt, PacketResponder; McDonald, MacArthur pass
			}
			for _, suf := range classSuffixes {
				if lw != suf && strings.HasSuffix(lw, suf) {
					return false
				}
			}
			if notNames[lw] || lw == "" || len(lw) > 1 && strings.ToUpper(w) == w {
				common++ // all-caps words are acronyms and levels far more often than shouted names
			}
		}
		return common < len(words)
	case detectors.TypeStreetAddress:
		if len(text) > maxAddressBytes || strings.Contains(text, "://") || strings.ContainsAny(text, "=@\\{}<>|$") || strings.HasPrefix(text, "/") {
			return false
		}
		for _, w := range strings.Fields(text) {
			if !notNames[strings.ToLower(strings.Trim(w, ".,"))] {
				return true
			}
		}
		return false
	}
	return false
}

// camelHumps counts lower-to-upper changes in a word and the runes before
// the first: "McDonald" has one after 2, "NullPointerException" two.
func camelHumps(w string) (humps, prefix int) {
	prevLower := false
	for i, r := range []rune(w) {
		if prevLower && unicode.IsUpper(r) {
			if humps == 0 {
				prefix = i
			}
			humps++
		}
		prevLower = unicode.IsLower(r)
	}
	return humps, prefix
}

// notNames are words models mistake for names in logs: levels, roles,
// software, vendors, platforms and calendar words. An entity made only of
// these is dropped.
var notNames = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
		error warning warn info debug trace fatal critical severe notice exception panic null nil none true false
		unknown default anonymous admin administrator root user users guest system service server client customer
		operator support team staff owner master main primary replica leader follower node worker host daemon
		kubernetes k8s docker containerd java jvm python golang go node nodejs npm rust ruby rails php perl scala kotlin
		spring hibernate tomcat jetty netty nginx apache httpd iis kafka zookeeper hadoop hdfs yarn spark hive hbase
		flink storm redis memcached postgres postgresql mysql mariadb sqlite mongodb mongo cassandra elasticsearch
		elastic kibana logstash oracle sql linux windows ubuntu debian centos fedora redhat alpine macos darwin android
		ios iphone ipad chrome firefox safari edge mozilla opera aws amazon azure microsoft google gcp github gitlab
		bitbucket jenkins travis circleci terraform ansible puppet chef prometheus grafana datadog sentry splunk openssl
		openssh ssh ssl tls http https tcp udp dns api rest grpc json xml yaml openstack nova neutron keystone glance
		cinder swift vmware xen kvm qemu bgl hpc thunderbird proxifier openai anthropic claude gpt slack stripe paypal
		visa mastercard sendgrid twilio okta auth0 ldap kerberos cron systemd kernel sshd su sudo pam
		monday tuesday wednesday thursday friday saturday sunday mon tue wed thu fri sat sun
		january february march april may june july august september october november december
		jan feb mar apr jun jul aug sep sept oct nov dec
		boot cloud framework engine app application database cluster pod container job task queue
		the a an and or of for to in on at by with from no not will all new old current last next first
		found received receiving sent sending served deleting deleted deletion creating created starting started
		stopping stopped running retrying skipping ignoring releasing acquiring setting resolved exiting
		destroying animating recalculating transitioned already progress address location memory directory dir
		file files path link capture permission thermal wake win reduce map failed failure source target
		authentication authorization session login logout
		mr mrs ms dr sir madam dear hello hi thanks
		street st avenue ave road rd lane ln drive dr boulevard blvd suite apt unit floor
	`) {
		m[w] = true
	}
	return m
}()

// PIIStats are the detector's counters since NewPIIDetector.
type PIIStats struct {
	Calls, Succeeded, Failed uint64 // DetectPII calls
	Attempts                 uint64 // HTTP requests sent
	RateLimited              uint64
	ServerErrors             uint64
	Timeouts                 uint64
	PromptTokens             uint64
	CompletionTokens         uint64
	TotalTokens              uint64
	Spans                    uint64 // spans returned
	DroppedEntities          uint64 // entities not in their line, implausible or past the cap
}

// Stats returns a snapshot of the counters.
func (d *PIIDetector) Stats() PIIStats {
	s := &d.stats
	return PIIStats{
		Calls: s.calls.Load(), Succeeded: s.succeeded.Load(), Failed: s.failed.Load(),
		Attempts: s.attempts.Load(), RateLimited: s.rateLimited.Load(),
		ServerErrors: s.serverErrors.Load(), Timeouts: s.timeouts.Load(),
		PromptTokens: s.promptTokens.Load(), CompletionTokens: s.completionTokens.Load(),
		TotalTokens: s.total.Load(), Spans: d.spans.Load(), DroppedEntities: d.dropped.Load(),
	}
}

// PIIOptionsFromEnv reports whether the LLM PII pass is enabled:
// LOGTRIAGE_LLM_PII=1 (or true) together with an endpoint. The endpoint is
// the classifier's (OPENAI_API_KEY, OPENAI_BASE_URL, LOGTRIAGE_LLM_MODEL),
// each overridden by LOGTRIAGE_LLM_PII_API_KEY, LOGTRIAGE_LLM_PII_BASE_URL
// and LOGTRIAGE_LLM_PII_MODEL when set: the pass sends pattern-redacted
// excerpt lines, which may still hold names and addresses, so operators can
// point it at a self-hosted model while the classifier, which then sees
// only placeholders, uses another.
func PIIOptionsFromEnv(getenv func(string) string) (Options, bool) {
	switch strings.ToLower(strings.TrimSpace(getenv("LOGTRIAGE_LLM_PII"))) {
	case "1", "true", "yes", "on":
	default:
		return Options{}, false
	}
	piiBase := strings.TrimSpace(getenv("LOGTRIAGE_LLM_PII_BASE_URL"))
	return OptionsFromEnv(func(key string) string {
		switch key {
		case "OPENAI_API_KEY":
			if v := getenv("LOGTRIAGE_LLM_PII_API_KEY"); v != "" || piiBase != "" {
				return v // a PII-only endpoint never gets the classifier's key
			}
		case "OPENAI_BASE_URL":
			if piiBase != "" {
				return piiBase
			}
		case "LOGTRIAGE_LLM_MODEL":
			if v := getenv("LOGTRIAGE_LLM_PII_MODEL"); strings.TrimSpace(v) != "" {
				return v
			}
		}
		return getenv(key)
	})
}
