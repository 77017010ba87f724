package fakeazure

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

const entraEligible = graphBase + "/roleManagement/directory/roleEligibilityScheduleInstances" + fbcu

func TestFaultThrottleCountsAndRetryAfter(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	graph := tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{})
	arm := tokenFor(t, s, DemoTenantID, ARMResource, CredentialOptions{})
	s.InjectFault(Fault{Kind: FaultThrottle, Count: 2, RetryAfter: 3 * time.Second, Plane: "entra"})
	for i := 0; i < 2; i++ {
		r := call(t, s, "GET", entraEligible, graph, nil)
		if code, _ := r.errCode(t); r.status != 429 || r.header.Get("Retry-After") != "3" || code != "TooManyRequests" {
			t.Fatalf("throttled request %d: %d %q %s", i, r.status, r.header.Get("Retry-After"), r.body)
		}
	}
	// The ARM plane was never affected; the third Graph request passes.
	if r := call(t, s, "GET", armURL("", "roleEligibilityScheduleInstances?$filter=asTarget()"), arm, nil); r.status != 200 {
		t.Errorf("ARM during a Graph throttle: %d", r.status)
	}
	if r := call(t, s, "GET", entraEligible, graph, nil); r.status != 200 {
		t.Errorf("after the throttle: %d", r.status)
	}
	var throttled int
	for _, e := range s.Requests() {
		if e.Fault == "throttle" && e.Status == 429 {
			throttled++
		}
	}
	if throttled != 2 {
		t.Errorf("log shows %d throttled requests", throttled)
	}
}

func TestFaultStatusPathMethodAndUnlimited(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	arm := tokenFor(t, s, DemoTenantID, ARMResource, CredentialOptions{})
	s.InjectFault(Fault{Kind: FaultStatus, Status: 503, Path: "roleAssignmentScheduleInstances", Method: "GET"})
	for i := 0; i < 3; i++ {
		r := call(t, s, "GET", armURL("", "roleAssignmentScheduleInstances?$filter=asTarget()"), arm, nil)
		if code, _ := r.errCode(t); r.status != 503 || code != "ServiceUnavailable" {
			t.Fatalf("unlimited 503, hit %d: %d %s", i, r.status, r.body)
		}
	}
	if r := call(t, s, "GET", armURL("", "roleEligibilityScheduleInstances?$filter=asTarget()"), arm, nil); r.status != 200 {
		t.Errorf("another path: %d", r.status)
	}
	s.ClearFaults()
	if r := call(t, s, "GET", armURL("", "roleAssignmentScheduleInstances?$filter=asTarget()"), arm, nil); r.status != 200 {
		t.Errorf("after ClearFaults: %d", r.status)
	}
	s.InjectFault(Fault{Kind: FaultStatus, Count: 1})
	r := call(t, s, "GET", entraEligible, tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{}), nil)
	if code, _ := r.errCode(t); r.status != 500 || code != "generalException" {
		t.Errorf("default 500 on Graph: %d %s", r.status, r.body)
	}
}

func TestFaultResetHangAndBrokenJSON(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	graph := tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{})
	get := func(ctx context.Context) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+entraEligible, nil)
		req.Header.Set("Authorization", "Bearer "+graph)
		return s.HTTPClient().Do(req)
	}

	s.InjectFault(Fault{Kind: FaultReset, Count: 1})
	if resp, err := get(context.Background()); err == nil {
		resp.Body.Close()
		t.Fatalf("reset: got %d, want a connection error", resp.StatusCode)
	}

	s.InjectFault(Fault{Kind: FaultHang, Count: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	if resp, err := get(ctx); err == nil || !errors.Is(err, context.DeadlineExceeded) {
		if resp != nil {
			resp.Body.Close()
		}
		t.Fatalf("hang: %v, want the client's deadline", err)
	}

	for _, kind := range []FaultKind{FaultMalformedJSON, FaultTruncatedJSON} {
		s.InjectFault(Fault{Kind: kind, Count: 1})
		r := call(t, s, "GET", entraEligible, graph, nil)
		var v any
		if r.status != 200 || json.Unmarshal(r.body, &v) == nil {
			t.Errorf("%v: %d, body decodes (%q)", kind, r.status, r.body)
		}
		if kind == FaultTruncatedJSON && !strings.HasPrefix(string(r.body), `{"@odata.context"`) {
			t.Errorf("truncated body is not the real answer's start: %q", r.body)
		}
	}
	if r := call(t, s, "GET", entraEligible, graph, nil); r.status != 200 {
		t.Errorf("after the faults: %d", r.status)
	}

	// The log records the faults; the reset and the hang have no status. A request that got no
	// answer is logged when its handler ends, which for the hang is a moment after its client
	// gave up: wait for it (a bound, not a measurement).
	var faults map[string]int
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(time.Millisecond) {
		faults = map[string]int{}
		for _, e := range s.Requests() {
			if e.Fault != "" {
				faults[e.Fault] = e.Status
			}
		}
		if _, ok := faults["hang"]; ok || time.Now().After(deadline) {
			break
		}
	}
	if st, ok := faults["reset"]; !ok || st != 0 {
		t.Errorf("reset logged as %v (present %v)", st, ok)
	}
	if st, ok := faults["hang"]; !ok || st != 0 {
		t.Errorf("hang logged as %v (present %v)", st, ok)
	}
}

func TestFaultDropPage(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	arm := tokenFor(t, s, DemoTenantID, ARMResource, CredentialOptions{})
	s.InjectFault(Fault{Kind: FaultDropPage, Plane: "azure", Count: 1})
	r := call(t, s, "GET", armURL("", "roleEligibilityScheduleInstances?$filter=asTarget()"), arm, nil)
	next, _ := r.json(t)["nextLink"].(string)
	if r.status != 200 || next == "" {
		t.Fatalf("first page: %d %s", r.status, r.body)
	}
	if r := call(t, s, "GET", next, arm, nil); r.status != 404 {
		t.Fatalf("dropped page: %d %s", r.status, r.body)
	}
	if r := call(t, s, "GET", next, arm, nil); r.status != 200 {
		t.Fatalf("the page after the fault: %d", r.status)
	}
}

// Latency holds requests, per plane and side by side. Asserted by counting the requests the
// fake holds, never by the wall clock (a loaded machine makes any duration flaky): the latency
// is an hour, and the held requests are let go by cancelling them.
func TestLatencyPerRequestAndPerPlane(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{Latency: time.Hour})
	graph := tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{})
	arm := tokenFor(t, s, DemoTenantID, ARMResource, CredentialOptions{})
	armList := s.URL + armURL("", "roleEligibilityScheduleInstances?$filter=asTarget()")

	// held starts n requests that must be held by the latency; it returns once all n are held
	// at the same time, and the function that lets them go (cancelled).
	held := func(n int, url, tok string) (release func()) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				if resp, err := s.HTTPClient().Do(req); err == nil {
					resp.Body.Close()
					t.Errorf("GET %s was answered (%d) instead of held by the latency", url, resp.StatusCode)
				}
			}()
		}
		for deadline := time.Now().Add(20 * time.Second); int(s.delayed.Load()) < n; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("%d requests held at once, want %d", s.delayed.Load(), n)
			}
		}
		return func() {
			cancel()
			wg.Wait()
		}
	}

	held(1, s.URL+entraEligible, graph)() // Options.Latency holds every request
	s.SetLatency(0)
	s.SetPlaneLatency("azure", time.Hour)
	release := held(4, armList, arm) // four ARM requests wait side by side, not one after another
	if r := call(t, s, "GET", entraEligible, graph, nil); r.status != 200 {
		t.Errorf("entra, without latency of its own, answered %d while ARM's requests were held", r.status)
	}
	release()
	s.SetPlaneLatency("azure", -1)
	if r := call(t, s, "GET", armList, arm, nil); r.status != 200 {
		t.Errorf("after removing the plane latency: %d", r.status)
	}
	// The clients gave up at once; the server learns it when it sees their requests' contexts
	// end, a moment later.
	for deadline := time.Now().Add(20 * time.Second); s.delayed.Load() != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests still held after their clients went", s.delayed.Load())
		}
	}
}

func TestCloseReleasesHungRequests(t *testing.T) {
	t.Parallel()
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.InjectFault(Fault{Kind: FaultHang, Count: 1})
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := s.HTTPClient().Get(s.URL + "/graph/v1.0/me")
		if err == nil {
			resp.Body.Close()
		}
	}()
	// The fault is used up once the request hangs in the fake.
	pending := func() int {
		s.ctl.Lock()
		defer s.ctl.Unlock()
		return len(s.faults)
	}
	for deadline := time.Now().Add(5 * time.Second); pending() > 0; {
		if time.Now().After(deadline) {
			t.Fatal("the request never reached the fake")
		}
		time.Sleep(5 * time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung on a hanging request")
	}
	<-done
}

func TestRequestLogPlanes(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	graph := tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{})
	arm := tokenFor(t, s, DemoTenantID, ARMResource, CredentialOptions{})
	call(t, s, "GET", entraEligible, graph, nil)
	call(t, s, "GET", graphBase+"/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"+fbcu, graph, nil)
	call(t, s, "GET", graphBase+"/policies/roleManagementPolicyAssignments?$filter=scopeId%20eq%20'"+DemoPIMAdminsGroupID+"'%20and%20scopeType%20eq%20'Group'", graph, nil)
	call(t, s, "GET", armURL("", "roleEligibilityScheduleInstances?$filter=asTarget()"), arm, nil)
	call(t, s, "GET", "/"+DemoTenantID+"/v2.0/.well-known/openid-configuration", "", nil)
	got := []string{}
	for _, e := range s.Requests() {
		got = append(got, e.Plane)
		if e.Status != 200 || e.Method != "GET" || e.Time.IsZero() {
			t.Errorf("entry %+v", e)
		}
	}
	if strings.Join(got, ",") != "entra,group,group,azure,identity" {
		t.Errorf("planes %v", got)
	}
	if q := s.Requests()[3].Query; !strings.Contains(q, "asTarget()") {
		t.Errorf("query not logged: %q", q)
	}
	s.ResetLog()
	if len(s.Requests()) != 0 {
		t.Error("ResetLog kept entries")
	}
}
