package pim

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// wireError is both error shapes: ARM {"error":{"code","message"}} and Graph's OData
// {"error":{"code","message","innerError"}}.
type wireError struct {
	Error *struct {
		Code       string          `json:"code"`
		Message    string          `json:"message"`
		InnerError json.RawMessage `json:"innerError"`
	} `json:"error"`
	// Some gateways answer {"code","message"} at the top level.
	Code    string `json:"code"`
	Message string `json:"message"`
}

// DecodeError reads a refused response (status >= 400) into an *Error with Kind, Code, Message,
// StatusCode and the details the Kind needs (Rules, Claims, Permission, RetryAfter). It never
// fails: a body it cannot read still gives an Error sorted by the status code. The human sentence
// (Text) is generic here; the client rewrites it naming the role.
func decodeError(status int, header http.Header, body []byte) *Error {
	e := &Error{StatusCode: status}
	var w wireError
	if len(body) > 0 && json.Unmarshal(body, &w) == nil {
		if w.Error != nil {
			e.Code, e.Message = w.Error.Code, w.Error.Message
		} else {
			e.Code, e.Message = w.Code, w.Message
		}
	}
	// Graph sometimes wraps a service error as a JSON string in the message
	// ({"errorCode":"PermissionScopeNotGranted","message":"..."}): unwrap it.
	if strings.HasPrefix(strings.TrimSpace(e.Message), "{") {
		var inner struct {
			ErrorCode string `json:"errorCode"`
			Code      string `json:"code"`
			Message   string `json:"message"`
		}
		if json.Unmarshal([]byte(e.Message), &inner) == nil && (inner.ErrorCode != "" || inner.Code != "" || inner.Message != "") {
			if c := firstNonEmpty(inner.ErrorCode, inner.Code); c != "" && (e.Code == "" || strings.EqualFold(e.Code, "UnknownError")) {
				e.Code = c
			}
			if inner.Message != "" {
				e.Message = inner.Message
			}
		}
	}
	e.Kind = kindOf(status, e.Code)

	switch e.Kind {
	case KindPolicy:
		e.Rules = policyRules(e.Message)
	case KindAuthContext:
		e.Claims = claimsFromMessage(e.Message)
	case KindThrottled:
		e.RetryAfter = retryAfter(header)
	case KindPermission:
		e.Permission = missingPermission(e.Message)
	}
	if status == http.StatusUnauthorized {
		if claims := challengeClaims(header); claims != "" {
			e.Kind, e.Claims = KindAuthContext, claims
		}
	}
	if e.Kind == KindOther && status >= 500 {
		e.Kind = KindUnavailable
	}
	e.Text = describe(e, "", "")
	return e
}

// kindOf sorts an error by Azure's code first (it is more precise), then by HTTP status.
func kindOf(status int, code string) Kind {
	switch strings.ToLower(code) {
	case "roleassignmentexists":
		return KindAlreadyActive
	case "roleassignmentrequestexists":
		return KindRequestExists
	case "roleassignmentrequestpolicyvalidationfailed":
		return KindPolicy
	case "roleassignmentrequestacrsvalidationfailed":
		return KindAuthContext
	case "activedurationtooshort":
		return KindTooShort
	case "roleassignmentdoesnotexist":
		return KindNotFound
	case "permissionscopenotgranted", "authorization_requestdenied", "authorizationfailed",
		"insufficientpermissions", "forbidden", "accessdenied", "linkedauthorizationfailed":
		return KindPermission
	case "toomanyrequests", "throttled", "activitylimitreached":
		return KindThrottled
	}
	switch {
	case status == http.StatusTooManyRequests:
		return KindThrottled
	case status == http.StatusForbidden:
		return KindPermission
	case status == http.StatusUnauthorized:
		return KindSignInNeeded
	case status >= 500:
		return KindUnavailable
	}
	return KindOther
}

var ruleName = regexp.MustCompile(`\b[A-Z][A-Za-z]*Rule\b`)

// policyRules finds the failed rules in both message forms Azure uses:
// `The following policy rules failed: ["ExpirationRule"]` and
// `The following policy rules failed: JustificationRule - Justification is required`.
func policyRules(msg string) []string {
	if i := strings.Index(strings.ToLower(msg), "failed:"); i >= 0 {
		msg = msg[i:]
	}
	var rules []string
	for _, r := range ruleName.FindAllString(msg, -1) {
		dup := false
		for _, have := range rules {
			dup = dup || have == r
		}
		if !dup {
			rules = append(rules, r)
		}
	}
	return rules
}

// claimsFromMessage extracts the claims challenge from an AcrsValidationFailed message
// ("...&claims=%7B%22access_token%22...%7D") as JSON.
func claimsFromMessage(msg string) string {
	i := strings.Index(msg, "claims=")
	if i < 0 {
		return ""
	}
	raw := msg[i+len("claims="):]
	if j := strings.IndexAny(raw, "& \t\r\n\""); j >= 0 {
		raw = raw[:j]
	}
	if s, err := url.QueryUnescape(raw); err == nil && json.Valid([]byte(s)) {
		return s
	}
	if s, ok := decodeBase64(raw); ok && json.Valid([]byte(s)) {
		return s
	}
	return ""
}

var (
	challengeRe      = regexp.MustCompile(`(\w+) ((?:\w+="[^"]*",?\s*)+)`)
	challengeParamRe = regexp.MustCompile(`(\w+)="([^"]*)"`)
)

// challengeClaims reads a 401's `WWW-Authenticate: Bearer error="insufficient_claims", claims="<base64>"`
// and returns the decoded claims JSON, or "".
func challengeClaims(h http.Header) string {
	for _, v := range h.Values("WWW-Authenticate") {
		for _, m := range challengeRe.FindAllStringSubmatch(v, -1) {
			if !strings.EqualFold(m[1], "Bearer") {
				continue
			}
			params := map[string]string{}
			for _, p := range challengeParamRe.FindAllStringSubmatch(m[2], -1) {
				params[strings.ToLower(p[1])] = p[2]
			}
			if params["error"] != "insufficient_claims" || params["claims"] == "" {
				continue
			}
			if s, ok := decodeBase64(params["claims"]); ok && json.Valid([]byte(s)) {
				return s
			}
		}
	}
	return ""
}

func decodeBase64(s string) (string, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return string(b), true
		}
	}
	return "", false
}

// retryAfter reads Retry-After (seconds or an HTTP date) and the millisecond variants.
func retryAfter(h http.Header) time.Duration {
	for _, k := range []string{"retry-after-ms", "x-ms-retry-after-ms"} {
		if v := h.Get(k); v != "" {
			if ms, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && ms > 0 {
				return time.Duration(ms) * time.Millisecond
			}
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d.Round(time.Second)
		}
	}
	return 0
}

var (
	missingScopeRe = regexp.MustCompile(`(?i)missing permission scopes?:?\s+([A-Za-z0-9_.\-, ]+)`)
	armActionRe    = regexp.MustCompile(`(?i)perform action '([^']+)'`)
)

// missingPermission names the permission a 403 says is missing, when the message says it.
func missingPermission(msg string) string {
	if m := missingScopeRe.FindStringSubmatch(msg); m != nil {
		parts := strings.Split(strings.TrimRight(strings.TrimSpace(m[1]), "."), ",")
		for i := range parts {
			parts[i] = strings.TrimRight(strings.TrimSpace(parts[i]), ".")
		}
		return strings.Join(parts, ", ")
	}
	if m := armActionRe.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return ""
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// authContextValue is the acrs value a claims challenge asks for ("c1"), or "".
func authContextValue(claims string) string {
	var c struct {
		AccessToken struct {
			Acrs struct {
				Value  string   `json:"value"`
				Values []string `json:"values"`
			} `json:"acrs"`
		} `json:"access_token"`
	}
	if json.Unmarshal([]byte(claims), &c) != nil {
		return ""
	}
	if c.AccessToken.Acrs.Value != "" {
		return c.AccessToken.Acrs.Value
	}
	return strings.Join(c.AccessToken.Acrs.Values, ", ")
}

// Operations, as they appear in sentences: "pimtray could not {op} {subject}".
const (
	opList       = "list"
	opActivate   = "activate"
	opDeactivate = "deactivate"
	opCancel     = "cancel the request for"
	opPolicy     = "read the activation policy of"
	opMe         = "find out who is signed in to"
	opLookup     = "look up names for"
)

// describe writes the one human sentence for e. subject is the role's label ("Owner · IT") or,
// for listings, what was listed ("your Azure roles"); op is one of the op* constants.
func describe(e *Error, op, subject string) string {
	return describeFor(e, op, subject, true)
}

// describeFor is describe; isRole says whether subject is a role (or what was listed).
func describeFor(e *Error, op, subject string, isRole bool) string {
	if !isRole {
		switch e.Kind {
		case KindAuthContext:
			if v := authContextValue(e.Claims); v != "" {
				return "Azure asks for a fresh sign-in with authentication context " + v + " to " + op + " " + subject + "."
			}
			return "Azure asks for a fresh, stronger sign-in to " + op + " " + subject + "."
		case KindThrottled:
			wait := "a minute"
			if e.RetryAfter > 0 {
				wait = humanDuration(e.RetryAfter)
			}
			return "Azure is throttling requests to " + op + " " + subject + "; try again in " + wait + "."
		case KindAlreadyActive, KindRequestExists, KindPolicy, KindTooShort:
			k := *e
			k.Kind = KindOther
			return sentence(&k, op, subject)
		}
	}
	text := sentence(e, op, subject)
	if strings.HasPrefix(text, "the role") {
		text = "T" + text[1:]
	}
	return text
}

func sentence(e *Error, op, subject string) string {
	s := subject
	if s == "" {
		s = "the role"
	}
	did := op
	if did == "" {
		did = "use"
	}
	switch e.Kind {
	case KindAlreadyActive:
		return s + " is already active."
	case KindRequestExists:
		return s + " already has an open request; wait for it or cancel it first."
	case KindPolicy:
		return policySentence(e, s)
	case KindAuthContext:
		if v := authContextValue(e.Claims); v != "" {
			return s + " needs a fresh sign-in with authentication context " + v + "."
		}
		return s + " needs a fresh, stronger sign-in (authentication context)."
	case KindTooShort:
		return s + " cannot be deactivated within 5 minutes of its activation; try again in a few minutes."
	case KindNotFound:
		switch op {
		case opDeactivate:
			return s + " is not active (or Azure has not caught up yet; try again in a minute)."
		case opActivate:
			return "Azure found no eligibility to activate " + s + "."
		case opCancel:
			return "The request for " + s + " no longer exists."
		}
		return "Azure found nothing for " + s + "."
	case KindThrottled:
		if e.RetryAfter > 0 {
			return "Azure is throttling requests; try " + s + " again in " + humanDuration(e.RetryAfter) + "."
		}
		return "Azure is throttling requests; try " + s + " again in a minute."
	case KindPermission:
		if e.Permission != "" {
			return "Azure refused to let pimtray " + did + " " + s + ": the permission " + e.Permission + " is missing (an administrator must grant or consent to it)."
		}
		return "Azure refused pimtray access to " + did + " " + s + ": a permission or an administrator's consent is missing."
	case KindSignInNeeded:
		return "Azure refused the sign-in to " + did + " " + s + "; sign in again."
	case KindBadResponse:
		return "Azure answered in a way pimtray could not read when trying to " + did + " " + s + "."
	case KindUnavailable:
		if e.StatusCode >= 500 {
			return "Azure failed to " + did + " " + s + " (HTTP " + strconv.Itoa(e.StatusCode) + "); try again later."
		}
		return "Azure could not be reached to " + did + " " + s + "; try again later."
	}
	msg := strings.Join(strings.Fields(e.Message), " ") // one line, whatever Azure sent
	if msg == "" || msg == "<unknown>" {
		msg = firstNonEmpty(e.Code, "HTTP "+strconv.Itoa(e.StatusCode))
	}
	return "Azure refused to " + did + " " + s + ": " + strings.TrimRight(msg, ".") + "."
}

// policySentence: "Contributor · MySubscription needs a ticket number (TicketingRule)."
// or "Global Administrator allows at most 8h; 100h was asked."
func policySentence(e *Error, s string) string {
	var needs []string
	var expiration string
	for _, r := range e.Rules {
		switch r {
		case RuleExpiration:
			switch {
			case e.Max > 0 && e.Asked > 0:
				expiration = "allows at most " + humanDuration(e.Max) + "; " + humanDuration(e.Asked) + " was asked"
			case e.Max > 0:
				expiration = "allows at most " + humanDuration(e.Max)
			case e.Asked > 0:
				expiration = "does not allow an activation of " + humanDuration(e.Asked) + " (ExpirationRule)"
			default:
				expiration = "does not allow an activation that long (ExpirationRule)"
			}
		case RuleJustification:
			needs = append(needs, "a justification")
		case RuleTicketing:
			needs = append(needs, "a ticket number")
		case RuleMFA:
			needs = append(needs, "multi-factor authentication")
		default:
			needs = append(needs, "to pass "+r)
		}
	}
	var other []string
	for _, r := range e.Rules {
		if r != RuleExpiration {
			other = append(other, r)
		}
	}
	needText := ""
	if len(needs) > 0 {
		needText = "needs " + joinAnd(needs) + " (" + strings.Join(other, ", ") + ")"
	}
	switch {
	case expiration != "" && needText != "":
		return s + " " + expiration + ", and " + needText + "."
	case expiration != "":
		return s + " " + expiration + "."
	case needText != "":
		return s + " " + needText + "."
	}
	msg := strings.TrimRight(strings.Join(strings.Fields(e.Message), " "), ".")
	if msg == "" {
		return s + " cannot be activated as asked: its policy refused the request."
	}
	return s + " cannot be activated as asked: " + msg + "."
}

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
