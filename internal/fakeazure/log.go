package fakeazure

import (
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Request is one entry of the fake's request log.
type Request struct {
	Time   time.Time // by the fake's clock
	Method string
	Path   string // as received: /graph/v1.0/..., /arm/..., /{tenant}/oauth2/v2.0/token
	Query  string // the raw query, secrets redacted
	Body   string // the request body, secrets redacted
	Status int    // the status answered; 0 when the connection was reset or the request abandoned
	Plane  string // "entra", "azure", "group" or "identity"
	Fault  string // the injected fault that answered instead, if any ("throttle", "reset", ...)
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []Request {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	return append([]Request(nil), s.reqLog...)
}

// ResetLog empties the request log.
func (s *Server) ResetLog() {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.reqLog = nil
}

func (s *Server) appendLog(e Request) {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.reqLog = append(s.reqLog, e)
}

// secretParams are form and query parameters that carry secrets.
var secretParams = map[string]bool{
	"code": true, "code_verifier": true, "refresh_token": true, "device_code": true, "access_token": true,
	"id_token": true, "client_secret": true, "client_assertion": true, "assertion": true, "password": true,
}

const redacted = "[REDACTED]"

// markerRun matches any token-ish run of characters containing the secret marker.
var markerRun = regexp.MustCompile(`[A-Za-z0-9._~+/=%-]*` + regexp.QuoteMeta(SecretMarker) + `[A-Za-z0-9._~+/=%-]*`)

// redactForm replaces secret values in a URL-encoded form or query.
func redactForm(raw string) string {
	if raw == "" {
		return ""
	}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return markerRun.ReplaceAllString(raw, redacted)
	}
	changed := false
	for k := range vals {
		if secretParams[strings.ToLower(k)] {
			vals[k] = []string{redacted}
			changed = true
		}
	}
	out := raw
	if changed {
		out = vals.Encode()
	}
	return markerRun.ReplaceAllString(out, redacted)
}

func redactQuery(raw string) string { return redactForm(raw) }

// redactBody redacts a request body: form fields by name, and anything carrying the marker.
func redactBody(contentType string, body []byte) string {
	if len(body) == 0 {
		return ""
	}
	if strings.HasPrefix(strings.ToLower(contentType), "application/x-www-form-urlencoded") {
		return redactForm(string(body))
	}
	return markerRun.ReplaceAllString(string(body), redacted)
}
