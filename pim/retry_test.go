package pim

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

func withFaults(rules ...*faultRule) (*faultTransport, func(policy.Transporter) policy.Transporter) {
	ft := &faultTransport{rules: rules}
	return ft, func(next policy.Transporter) policy.Transporter { ft.next = next; return ft }
}

func (s *stub) activeCount(label string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, a := range s.active {
		r := a.role.domain()
		if r.Label() == label && a.end.After(s.now) {
			n++
		}
	}
	return n
}

func (s *stub) requestCount(label string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, q := range s.requests {
		if q.role.domain().Label() == label && strings.EqualFold(q.action, "selfActivate") {
			n++
		}
	}
	return n
}

// A Graph activation whose answer is lost (Azure acted on it) is not sent again: the client
// finds it among the active roles.
func TestGraphActivationWithLostAnswerIsNeverSentTwice(t *testing.T) {
	t.Parallel()
	for _, plane := range []Plane{PlaneEntra, PlaneGroup} {
		t.Run(string(plane), func(t *testing.T) {
			s := newStub(t)
			label, path := "Security Reader", entraRequestsPath
			if plane == PlaneGroup {
				label, path = "Member · PIM-Admins", groupRequestsPath
			}
			ft, wrap := withFaults(&faultRule{method: "POST", path: path, times: 1, after: true})
			c := s.client(t, nil, wrap)
			role := eligible(t, c, plane, label)
			a, err := c.Activate(context.Background(), ActivateRequest{Role: role, Duration: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if a.Status != StatusActive || !a.ExpiresAt.Equal(stubEpoch.Add(time.Hour)) || a.Role.Key() != role.Key() {
				t.Errorf("activation: %+v", a)
			}
			if n := len(s.Hits("POST", path)); n != 1 {
				t.Errorf("Azure received %d activation requests, want 1", n)
			}
			if n := s.requestCount(label); n != 1 || s.activeCount(label) != 1 {
				t.Errorf("%d requests, %d activations in Azure", n, s.activeCount(label))
			}
			if ft.fails.Load() != 1 || c.count.count("POST", path) != 1 {
				t.Errorf("fails %d, POST tries %d", ft.fails.Load(), c.count.count("POST", path))
			}
		})
	}
}

// A Graph activation that never reached Azure is sent again, once, after checking.
func TestGraphActivationThatNeverArrivedIsSentOnceMore(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	ft, wrap := withFaults(&faultRule{method: "POST", path: entraRequestsPath, times: 1})
	c := s.client(t, nil, wrap)
	role := eligible(t, c, PlaneEntra, "Security Reader")
	checksBefore := len(s.Hits("GET", entraActivePath))
	a, err := c.Activate(context.Background(), ActivateRequest{Role: role, Duration: time.Hour})
	if err != nil || a.Status != StatusActive {
		t.Fatalf("%+v %v", a, err)
	}
	if n := c.count.count("POST", entraRequestsPath); n != 2 {
		t.Errorf("client sent %d POSTs, want 2 (the lost one and one more)", n)
	}
	if n := len(s.Hits("POST", entraRequestsPath)); n != 1 || s.activeCount("Security Reader") != 1 || ft.fails.Load() != 1 {
		t.Errorf("Azure received %d POSTs, has %d activations", n, s.activeCount("Security Reader"))
	}
	if n := len(s.Hits("GET", entraActivePath)) - checksBefore; n != 1 {
		t.Errorf("active roles checked %d times before sending again, want 1", n)
	}
	if n := len(s.Hits("GET", entraRequestsPath+"/filterByCurrentUser")); n < 2 {
		t.Errorf("open requests checked %d times", n)
	}
}

// Two failures in a row: the client gives up after the one extra try, with a clear error.
func TestGraphActivationGivesUpAfterOneMoreTry(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	_, wrap := withFaults(&faultRule{method: "POST", path: entraRequestsPath, times: 5})
	c := s.client(t, nil, wrap)
	role := eligible(t, c, PlaneEntra, "Security Reader")
	_, err := c.Activate(context.Background(), ActivateRequest{Role: role})
	var pe *Error
	if !errors.As(err, &pe) || pe.Kind != KindUnavailable || !errors.Is(err, errInjected) {
		t.Fatalf("err = %v", err)
	}
	if pe.Error() != "Azure could not be reached to activate Security Reader; try again later." {
		t.Errorf("text %q", pe.Error())
	}
	if n := c.count.count("POST", entraRequestsPath); n != 2 {
		t.Errorf("%d POST tries, want 2", n)
	}
}

// When the check itself fails, nothing is sent again: a duplicate is worse than a retry click.
func TestGraphActivationIsNotResentWhenTheCheckFails(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	_, wrap := withFaults(&faultRule{method: "POST", path: entraRequestsPath, times: 1},
		&faultRule{method: "GET", path: entraActivePath, times: 10})
	c := s.client(t, nil, nil)
	role := eligible(t, c, PlaneEntra, "Security Reader")
	c = s.client(t, nil, wrap)
	_, err := c.Activate(context.Background(), ActivateRequest{Role: role})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if n := c.count.count("POST", entraRequestsPath); n != 1 {
		t.Errorf("%d POST tries, want 1", n)
	}
}

// A Graph activation that times out (Azure acted, but slowly) is checked, not re-sent.
func TestGraphActivationTimeoutIsCheckedNotResent(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	c := s.client(t, nil, nil)
	role := eligible(t, c, PlaneEntra, "Security Reader")
	o := &ClientOptions{Cloud: s.cloud(), TenantID: stubTenant, Now: s.Now, Log: testLogger(t)}
	o.Transport = s.httpClient()
	cnt := &counter{}
	o.PerRetryPolicies = []policy.Policy{cnt}
	o.Retry = policy.RetryOptions{MaxRetries: 2, RetryDelay: 5 * time.Millisecond, TryTimeout: 300 * time.Millisecond}
	slow, err := NewClient(&staticCred{}, o)
	if err != nil {
		t.Fatal(err)
	}
	s.fault(stubFault{method: "POST", path: entraRequestsPath, delay: 2 * time.Second})
	a, err := slow.Activate(context.Background(), ActivateRequest{Role: role, Duration: time.Hour})
	if err != nil || a.Status != StatusActive {
		t.Fatalf("%+v %v", a, err)
	}
	if n := cnt.count("POST", entraRequestsPath); n != 1 {
		t.Errorf("%d POSTs sent, want 1", n)
	}
	if n := s.activeCount("Security Reader"); n != 1 {
		t.Errorf("%d activations", n)
	}
}

// ARM: azcore's retry repeats the very same PUT (same request GUID), so Azure can tell; the
// client then finds its own request by name instead of reporting "already active".
func TestARMActivationRetryReusesTheRequestGUID(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	ft, wrap := withFaults(&faultRule{method: "PUT", path: "/roleAssignmentScheduleRequests/", times: 1, after: true})
	c := s.client(t, nil, wrap)
	role := eligible(t, c, PlaneAzure, "Owner · IT")
	a, err := c.Activate(context.Background(), ActivateRequest{Role: role, Justification: "deploy", Duration: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != StatusActive || !a.ExpiresAt.Equal(stubEpoch.Add(2*time.Hour)) || !strings.HasSuffix(a.RequestID, lastSegment(strings.Split(ft.sentMatching("PUT", "")[0], "?")[0])) {
		t.Errorf("activation: %+v", a)
	}
	puts := ft.sentMatching("PUT", "/roleAssignmentScheduleRequests/")
	if len(puts) != 2 || puts[0] != puts[1] {
		t.Fatalf("PUTs: %v (want the same URL twice)", puts)
	}
	if s.requestCount("Owner · IT") != 1 || s.activeCount("Owner · IT") != 1 {
		t.Errorf("Azure has %d requests, %d activations", s.requestCount("Owner · IT"), s.activeCount("Owner · IT"))
	}
	if n := len(s.Hits("GET", "/roleAssignmentScheduleRequests/")); n != 1 {
		t.Errorf("request looked up %d times", n)
	}
}

func TestARMActivationRetriedAfterAGatewayErrorKeepsItsGUID(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	c := s.client(t, nil, nil)
	role := eligible(t, c, PlaneAzure, "Owner · IT")
	s.fault(stubFault{method: "PUT", path: "/roleAssignmentScheduleRequests/", status: 503, body: `{"error":{"code":"ServiceUnavailable","message":"busy"}}`})
	a, err := c.Activate(context.Background(), ActivateRequest{Role: role, Justification: "deploy", RequestID: "5f0c8a9e-1b2c-4d3e-8f4a-5b6c7d8e9f00"})
	if err != nil || a.Status != StatusActive {
		t.Fatalf("%+v %v", a, err)
	}
	hits := s.Hits("PUT", "")
	if len(hits) != 2 || hits[0].Path != hits[1].Path || lastSegment(hits[0].Path) != "5f0c8a9e-1b2c-4d3e-8f4a-5b6c7d8e9f00" {
		t.Errorf("PUTs: %+v", hits)
	}
}

func TestThrottlingIsHonoured(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	c := s.client(t, nil, nil)
	s.fault(stubFault{method: "GET", path: armEligiblePath, status: http.StatusTooManyRequests,
		header: http.Header{"Retry-After": {"1"}}, body: `{"error":{"code":"TooManyRequests","message":"slow down"}}`})
	start := time.Now()
	ov, err := c.Overview(context.Background(), PlaneAzure)
	took := time.Since(start)
	if err != nil || len(ov.Eligible) != 5 {
		t.Fatalf("%v %v", err, ov.Errors)
	}
	if n := c.count.count("GET", armEligiblePath); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	if took < 900*time.Millisecond {
		t.Errorf("retried after %v: Retry-After: 1 was not honoured", took)
	}
}

// A 429 on a Graph activation means Azure did not take it: retrying it is safe.
func TestThrottledGraphActivationIsRetried(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	c := s.client(t, nil, nil)
	role := eligible(t, c, PlaneEntra, "Security Reader")
	s.fault(stubFault{method: "POST", path: entraRequestsPath, status: http.StatusTooManyRequests,
		header: http.Header{"Retry-After": {"1"}}, body: `{"error":{"code":"TooManyRequests","message":"slow down"}}`})
	a, err := c.Activate(context.Background(), ActivateRequest{Role: role})
	if err != nil || a.Status != StatusActive {
		t.Fatalf("%+v %v", a, err)
	}
	if n := c.count.count("POST", entraRequestsPath); n != 2 || s.activeCount("Security Reader") != 1 {
		t.Errorf("%d POSTs, %d activations", n, s.activeCount("Security Reader"))
	}
}

func TestThrottledBeyondPatienceIsTyped(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	c := s.client(t, nil, nil)
	role := eligible(t, c, PlaneAzure, "Owner · IT")
	s.fault(stubFault{method: "PUT", path: "/roleAssignmentScheduleRequests/", status: http.StatusTooManyRequests,
		header: http.Header{"Retry-After": {"120"}}, body: `{"error":{"code":"TooManyRequests","message":"slow down"}}`})
	_, err := c.Activate(context.Background(), ActivateRequest{Role: role, Justification: "x"})
	var pe *Error
	if !errors.As(err, &pe) || !errors.Is(err, ErrThrottled) || pe.RetryAfter != 2*time.Minute {
		t.Fatalf("err = %#v", err)
	}
	if pe.Error() != "Azure is throttling requests; try Owner · IT again in 2m." {
		t.Errorf("text %q", pe.Error())
	}
	if n := c.count.count("PUT", ""); n != 1 {
		t.Errorf("%d tries: a Retry-After beyond the client's patience is not waited for", n)
	}
}
