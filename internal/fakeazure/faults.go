package fakeazure

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultKind is what an injected fault does to a request.
type FaultKind int

const (
	// FaultThrottle answers 429 with Retry-After (Fault.RetryAfter, whole seconds; default 1).
	FaultThrottle FaultKind = iota + 1
	// FaultStatus answers Fault.Status (default 500; 503 is typical too) with the plane's error body.
	FaultStatus
	// FaultReset closes the connection without an answer.
	FaultReset
	// FaultHang never answers: the request waits until the client gives up or the fake closes.
	FaultHang
	// FaultMalformedJSON answers 200 with a body that is not JSON.
	FaultMalformedJSON
	// FaultTruncatedJSON answers with the real response cut in half (a well-formed HTTP response).
	FaultTruncatedJSON
	// FaultDropPage makes the follow-up pages of paged lists (requests carrying a skip token)
	// answer Fault.Status (default 404): a nextLink that leads nowhere.
	FaultDropPage
	// FaultHangAfterHandling handles the request (an activation is made) but never answers: the
	// client times out not knowing the outcome, as with a response lost on the way back.
	FaultHangAfterHandling
)

func (k FaultKind) String() string {
	switch k {
	case FaultThrottle:
		return "throttle"
	case FaultStatus:
		return "status"
	case FaultReset:
		return "reset"
	case FaultHang:
		return "hang"
	case FaultMalformedJSON:
		return "malformed-json"
	case FaultTruncatedJSON:
		return "truncated-json"
	case FaultDropPage:
		return "drop-page"
	case FaultHangAfterHandling:
		return "hang-after-handling"
	}
	return "fault(" + strconv.Itoa(int(k)) + ")"
}

// Fault is a failure to inject into matching requests.
type Fault struct {
	Kind FaultKind
	// Path limits the fault to requests whose URL path contains this substring ("" matches all).
	Path string
	// Method limits the fault to one HTTP method ("" matches all).
	Method string
	// Plane limits the fault to one plane: "entra", "azure", "group" or "identity" ("" matches all).
	Plane string
	// Count is how many matching requests the fault hits; 0 or less means every one until ClearFaults.
	Count int
	// Status is the status of FaultStatus (default 500) and FaultDropPage (default 404).
	Status int
	// RetryAfter is FaultThrottle's Retry-After (default 1s; sent in whole seconds) and, when set,
	// also sent with FaultStatus.
	RetryAfter time.Duration
}

type activeFault struct {
	Fault
	left int // remaining hits; <0 unlimited
}

// InjectFault adds a fault. Faults are tried in the order they were added; a request gets at
// most one.
func (s *Server) InjectFault(f Fault) {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	left := f.Count
	if left <= 0 {
		left = -1
	}
	s.faults = append(s.faults, &activeFault{Fault: f, left: left})
	s.faulter = (*Server).answerWithFault
}

func (s *Server) faultsHook() func(*Server, *Request, *recorder, *http.Request, string, http.HandlerFunc) bool {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	return s.faulter
}

// answerWithFault answers a request with the first fault that matches it, if any, and notes
// the fault in the request's log entry (before applying it: a hang or reset never returns).
func (s *Server) answerWithFault(entry *Request, w *recorder, r *http.Request, plane string, handler http.HandlerFunc) (answered bool) {
	f := s.takeFault(plane, r)
	if f == nil {
		return false
	}
	entry.Fault = f.Kind.String()
	return s.applyFault(w, r, plane, f, handler)
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.faults = nil
}

// SetLatency delays every request by d from now on (0 removes the delay).
func (s *Server) SetLatency(d time.Duration) {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.latency = d
}

// SetPlaneLatency delays the requests of one plane ("entra", "azure", "group", "identity") by d,
// instead of the latency set by SetLatency; a negative d removes the plane's own delay.
func (s *Server) SetPlaneLatency(plane string, d time.Duration) {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	if d < 0 {
		delete(s.planeLat, plane)
		return
	}
	s.planeLat[plane] = d
}

func (s *Server) latencyFor(plane string) time.Duration {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	if d, ok := s.planeLat[plane]; ok {
		return d
	}
	return s.latency
}

// takeFault finds the first fault matching the request and uses up one of its hits.
func (s *Server) takeFault(plane string, r *http.Request) *Fault {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	for i, f := range s.faults {
		if f.Path != "" && !strings.Contains(r.URL.Path, f.Path) {
			continue
		}
		if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
			continue
		}
		if f.Plane != "" && f.Plane != plane {
			continue
		}
		if f.Kind == FaultDropPage && !hasSkipToken(r) {
			continue
		}
		hit := f.Fault
		if f.left > 0 {
			f.left--
			if f.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return &hit
	}
	return nil
}

func hasSkipToken(r *http.Request) bool {
	for k := range r.URL.Query() {
		if strings.EqualFold(k, "$skiptoken") {
			return true
		}
	}
	return false
}

// applyFault answers a request with its fault. It returns false when the request should still be
// handled normally (never, today).
func (s *Server) applyFault(w *recorder, r *http.Request, plane string, f *Fault, handler http.HandlerFunc) bool {
	switch f.Kind {
	case FaultThrottle:
		ra := f.RetryAfter
		if ra <= 0 {
			ra = time.Second
		}
		w.Header().Set("Retry-After", strconv.Itoa(int((ra+time.Second-1)/time.Second)))
		planeError(w, r, plane, http.StatusTooManyRequests)
	case FaultStatus:
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
		}
		planeError(w, r, plane, status)
	case FaultDropPage:
		status := f.Status
		if status == 0 {
			status = http.StatusNotFound
		}
		planeError(w, r, plane, status)
	case FaultReset:
		if hj, ok := w.ResponseWriter.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		abort() // no hijacking (HTTP/2): abort the stream instead
	case FaultHang:
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		abort()
	case FaultHangAfterHandling:
		handler(newBufferedResponse(), r)
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		abort()
	case FaultMalformedJSON:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"value": [ {"id": "x" "@odata.nextLink": } ]`))
	case FaultTruncatedJSON:
		rec := newBufferedResponse()
		handler(rec, r)
		body := rec.body.Bytes()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.code)
		_, _ = w.Write(body[:len(body)/2])
	default:
		return false
	}
	return true
}

// bufferedResponse keeps a handler's answer in memory (httptest.ResponseRecorder's job; the
// shipped binary links no httptest).
type bufferedResponse struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func newBufferedResponse() *bufferedResponse {
	return &bufferedResponse{header: http.Header{}, code: http.StatusOK}
}

func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) WriteHeader(code int)        { b.code = code }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }

// abort ends a request without any answer: net/http closes the connection and writes nothing
// (returning normally would send an empty 200 to a client that might still be listening).
func abort() {
	panic(http.ErrAbortHandler)
}

// planeError writes a generic error for a status in the plane's own error shape.
func planeError(w http.ResponseWriter, r *http.Request, plane string, status int) {
	switch plane {
	case "azure":
		code, msg := "InternalServerError", "Encountered internal server error."
		switch status {
		case http.StatusTooManyRequests:
			code, msg = "TooManyRequests", "The request is being throttled as the limit has been reached for operation type - Read_ObservationWindow_00:05:00. For more information, refer to - https://aka.ms/armthrottling"
		case http.StatusServiceUnavailable:
			code, msg = "ServiceUnavailable", "The service is currently unavailable. Please try again later."
		case http.StatusNotFound:
			code, msg = "NotFound", "The requested page does not exist."
		case http.StatusBadGateway, http.StatusGatewayTimeout:
			code, msg = "GatewayTimeout", "The gateway did not receive a response within the specified time period."
		}
		armError(w, status, code, msg)
	case "identity":
		code := "server_error"
		if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
			code = "temporarily_unavailable"
		}
		writeJSON(w, status, map[string]any{"error": code,
			"error_description": "AADSTS90033: A transient error has occurred. Please try again."})
	default:
		code, msg := "generalException", "General exception while processing"
		switch status {
		case http.StatusTooManyRequests:
			code, msg = "TooManyRequests", "Too many requests."
		case http.StatusServiceUnavailable:
			code, msg = "serviceNotAvailable", "The service is temporarily unavailable. Please retry later."
		case http.StatusNotFound:
			code, msg = "ResourceNotFound", "The requested page does not exist."
		case http.StatusGatewayTimeout:
			code, msg = "gatewayTimeout", "The gateway did not receive a response in time."
		}
		graphError(w, r, status, code, msg)
	}
}
