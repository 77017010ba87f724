package pim_test

// The client against the fake Azure where it matters that the two disagree or stay silent:
// clocks apart, answers lost, requests that never end, and the caller's own policy.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/pim"
)

// startSkewedFake is startFake with Azure's clock skew behind the user's (negative: ahead)
// and the client's options changed by opt.
func startSkewedFake(t *testing.T, skew time.Duration, opt func(*pim.ClientOptions)) (*fakeazure.Server, *pim.Client, *fakeClock) {
	t.Helper()
	clk := &fakeClock{now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)} // the user's clock
	s, err := fakeazure.New(fakeazure.Options{Now: func() time.Time { return clk.Now().Add(-skew) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	opts := &pim.ClientOptions{Cloud: s.Cloud(), TenantID: fakeazure.DemoTenantID, Now: clk.Now}
	opts.Transport = s.HTTPClient()
	if opt != nil {
		opt(opts)
	}
	c, err := pim.NewClient(s.Credential(fakeazure.DemoTenantID), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, c, clk
}

// sentStart is the startDateTime of the last activation request in the fake's log.
func sentStart(t *testing.T, s *fakeazure.Server) time.Time {
	t.Helper()
	reqs := s.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		r := reqs[i]
		if (r.Method == "POST" || r.Method == "PUT") && strings.Contains(strings.ToLower(r.Path), "assignmentschedulerequests") {
			var b struct {
				ScheduleInfo struct{ StartDateTime time.Time } `json:"scheduleInfo"`
				Properties   struct {
					ScheduleInfo struct{ StartDateTime time.Time } `json:"scheduleInfo"`
				} `json:"properties"`
			}
			if err := json.Unmarshal([]byte(r.Body), &b); err != nil {
				t.Fatalf("activation body %q: %v", r.Body, err)
			}
			if !b.ScheduleInfo.StartDateTime.IsZero() {
				return b.ScheduleInfo.StartDateTime
			}
			return b.Properties.ScheduleInfo.StartDateTime
		}
	}
	t.Fatal("no activation request in the fake's log")
	return time.Time{}
}

// With the user's clock 10 minutes ahead of Azure's, or behind, an activation starts at
// Azure's now, and every time the client returns is on the user's clock.
func TestActivationStartsAtAzuresNowWhateverTheLocalClock(t *testing.T) {
	t.Parallel()
	cases := []struct {
		plane       pim.Plane
		role, scope string
	}{
		{pim.PlaneEntra, "Security Reader", "Directory"},
		{pim.PlaneAzure, "Owner", "IT"},
		{pim.PlaneGroup, "Member", "PIM-Admins"},
	}
	for _, skew := range []time.Duration{10 * time.Minute, -10 * time.Minute, 0} {
		for _, c := range cases {
			t.Run(string(c.plane)+" "+skew.String(), func(t *testing.T) {
				s, client, clk := startSkewedFake(t, skew, nil)
				ctx := context.Background()
				ov, err := client.Overview(ctx, c.plane)
				if err != nil || len(ov.Errors) > 0 {
					t.Fatalf("overview: %v %v", err, ov.Errors)
				}
				if got := client.ClockOffset(); got != -skew {
					t.Fatalf("ClockOffset = %v, want %v", got, -skew)
				}
				role := findRole(t, ov, c.plane, c.role, c.scope)
				act, err := client.Activate(ctx, pim.ActivateRequest{Role: role, Justification: "skew", Duration: 2 * time.Hour})
				if err != nil {
					t.Fatal(err)
				}
				azureNow := clk.Now().Add(-skew)
				if got := sentStart(t, s); !got.Equal(azureNow) {
					t.Errorf("startDateTime sent %v, want Azure's now %v", got, azureNow)
				}
				held := s.Activations(fakeazure.DemoTenantID)
				if len(held) != 1 || held[0].Start.After(azureNow) {
					t.Fatalf("Azure holds %+v: not in force at its now %v", held, azureNow)
				}
				if act.Status != pim.StatusActive || !act.StartsAt.Equal(clk.Now()) || !act.ExpiresAt.Equal(clk.Now().Add(2*time.Hour)) {
					t.Fatalf("activation %+v, want active from %v for 2h on the local clock", act, clk.Now())
				}
				ov, _ = client.Overview(ctx, c.plane)
				for _, a := range ov.Active {
					if a.Role.Key() == role.Key() {
						if !a.StartsAt.Equal(act.StartsAt) || !a.ExpiresAt.Equal(act.ExpiresAt) {
							t.Fatalf("listed %v – %v, answered %v – %v", a.StartsAt, a.ExpiresAt, act.StartsAt, act.ExpiresAt)
						}
						return
					}
				}
				t.Fatalf("%s not listed active: %+v", role.Label(), ov.Active)
			})
		}
	}
}

// A start chosen on the local clock (a re-activation at the end of the running one) is sent
// on Azure's.
func TestScheduledStartIsSentOnAzuresClock(t *testing.T) {
	t.Parallel()
	const skew = 7 * time.Minute
	s, client, clk := startSkewedFake(t, skew, nil)
	ctx := context.Background()
	ov, _ := client.Overview(ctx, pim.PlaneAzure)
	role := findRole(t, ov, pim.PlaneAzure, "Owner", "IT")
	at := clk.Now().Add(3 * time.Hour)
	act, err := client.Activate(ctx, pim.ActivateRequest{Role: role, Justification: "later", Duration: time.Hour, StartAt: at})
	if err != nil {
		t.Fatal(err)
	}
	if got := sentStart(t, s); !got.Equal(at.Add(-skew)) {
		t.Errorf("startDateTime sent %v, want %v", got, at.Add(-skew))
	}
	if !act.StartsAt.Equal(at) || !act.ExpiresAt.Equal(at.Add(time.Hour)) {
		t.Errorf("activation %v – %v, want %v – %v", act.StartsAt, act.ExpiresAt, at, at.Add(time.Hour))
	}
}

// Every try of the ARM PUT loses its answer after Azure made the activation: the client
// finds its request by its GUID and reports the activation, made once.
func TestARMActivationWhoseAnswersAreAllLostIsFoundByItsName(t *testing.T) {
	t.Parallel()
	quick := func(o *pim.ClientOptions) {
		o.Retry = policy.RetryOptions{MaxRetries: 1, RetryDelay: 10 * time.Millisecond, TryTimeout: 300 * time.Millisecond}
	}
	t.Run("made", func(t *testing.T) {
		s, client, clk := startSkewedFake(t, 0, quick)
		ctx := context.Background()
		ov, _ := client.Overview(ctx, pim.PlaneAzure)
		role := findRole(t, ov, pim.PlaneAzure, "Owner", "IT")
		s.InjectFault(fakeazure.Fault{Kind: fakeazure.FaultHangAfterHandling, Plane: "azure", Method: "PUT", Path: "ssignmentScheduleRequests"})
		s.ResetLog()
		act, err := client.Activate(ctx, pim.ActivateRequest{Role: role, Justification: "lost", Duration: time.Hour, RequestID: "0f4c7a4e-3d1b-4a53-9a5e-6f7d8e9fa0b1"})
		if err != nil {
			t.Fatalf("activate: %v", err)
		}
		if act.Status != pim.StatusActive || !act.ExpiresAt.Equal(clk.Now().Add(time.Hour)) {
			t.Fatalf("activation %+v", act)
		}
		if n := len(s.Activations(fakeazure.DemoTenantID)); n != 1 {
			t.Fatalf("%d activations at the fake, want 1", n)
		}
		var looked bool
		for _, r := range s.Requests() {
			looked = looked || (r.Method == "GET" && strings.HasSuffix(r.Path, "/roleAssignmentScheduleRequests/0f4c7a4e-3d1b-4a53-9a5e-6f7d8e9fa0b1") && r.Status == 200)
		}
		if !looked {
			t.Fatalf("no look-up of the request by its name: %+v", s.Requests())
		}
	})
	t.Run("never reached Azure", func(t *testing.T) {
		s, client, _ := startSkewedFake(t, 0, quick)
		ctx := context.Background()
		ov, _ := client.Overview(ctx, pim.PlaneAzure)
		role := findRole(t, ov, pim.PlaneAzure, "Owner", "IT")
		s.InjectFault(fakeazure.Fault{Kind: fakeazure.FaultReset, Plane: "azure", Method: "PUT", Path: "ssignmentScheduleRequests"})
		_, err := client.Activate(ctx, pim.ActivateRequest{Role: role, Justification: "reset", Duration: time.Hour})
		if !errors.Is(err, pim.ErrUnavailable) || !strings.Contains(err.Error(), "could not be reached") {
			t.Fatalf("activate: %v, want unreachable", err)
		}
		if n := len(s.Activations(fakeazure.DemoTenantID)); n != 0 {
			t.Fatalf("%d activations at the fake, want none", n)
		}
	})
}

// The caller's policy (pim.ActivateRequest.Policy) is used as is: nothing is read before
// the activation, and what it requires is checked before anything is sent.
func TestActivateUsesTheCallersPolicy(t *testing.T) {
	t.Parallel()
	s, client, _ := startSkewedFake(t, 0, nil)
	ctx := context.Background()
	ov, _ := client.Overview(ctx, pim.PlaneAzure)
	role := findRole(t, ov, pim.PlaneAzure, "Owner", "IT")
	s.ResetLog()
	strict := pim.Policy{Known: true, MaxDuration: time.Hour, Justification: true}
	_, err := client.Activate(ctx, pim.ActivateRequest{Role: role, Duration: 2 * time.Hour, Policy: &strict})
	var pe *pim.Error
	if !errors.As(err, &pe) || pe.Kind != pim.KindPolicy || len(pe.Rules) != 2 {
		t.Fatalf("against the caller's stricter policy: %v, want a refusal naming two rules", err)
	}
	if n := len(s.Requests()); n != 0 {
		t.Fatalf("%d requests for a refusal before sending: %+v", n, s.Requests())
	}
	own := pim.Policy{Known: true, MaxDuration: 8 * time.Hour}
	if _, err := client.Activate(ctx, pim.ActivateRequest{Role: role, Justification: "ok", Duration: time.Hour, Policy: &own}); err != nil {
		t.Fatal(err)
	}
	for _, r := range s.Requests() {
		if strings.Contains(r.Path, "roleManagementPolic") {
			t.Fatalf("the policy was read although the caller gave it: %+v", s.Requests())
		}
	}
}

// deadlines records, per kind of request, how long its try had left when it left.
type deadlines struct {
	next policy.Transporter
	mu   sync.Mutex
	left map[string]time.Duration
}

func (d *deadlines) Do(req *http.Request) (*http.Response, error) {
	left := time.Duration(-1)
	if dl, ok := req.Context().Deadline(); ok {
		left = time.Until(dl)
	}
	kind := req.Method + " " + req.URL.Path
	d.mu.Lock()
	if old, ok := d.left[kind]; !ok || left < old {
		d.left[kind] = left
	}
	d.mu.Unlock()
	return d.next.Do(req)
}

// With pimtray's defaults, every try of every request ends within 30 s, a Graph activation's
// within 45 s; a time-out the caller sets applies to all.
func TestEveryTryHasATimeOut(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		try           time.Duration
		other, create time.Duration
	}{
		{"defaults", 0, 30 * time.Second, 45 * time.Second},
		{"the caller's", 5 * time.Second, 5 * time.Second, 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tap := &deadlines{left: map[string]time.Duration{}}
			_, client, _ := startSkewedFake(t, 0, func(o *pim.ClientOptions) {
				tap.next = o.Transport
				o.ClientOptions = azcore.ClientOptions{Transport: tap, Retry: policy.RetryOptions{TryTimeout: tc.try}}
			})
			ctx := context.Background()
			ov, err := client.Overview(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range []pim.Role{findRole(t, ov, pim.PlaneEntra, "Security Reader", "Directory"), findRole(t, ov, pim.PlaneAzure, "Owner", "IT")} {
				if _, err := client.Activate(ctx, pim.ActivateRequest{Role: r, Justification: "deadline", Duration: time.Hour}); err != nil {
					t.Fatal(err)
				}
			}
			tap.mu.Lock()
			defer tap.mu.Unlock()
			if len(tap.left) < 8 {
				t.Fatalf("only %d kinds of request seen: %v", len(tap.left), tap.left)
			}
			for kind, left := range tap.left {
				want := tc.other
				if strings.HasPrefix(kind, "POST /graph/") && strings.HasSuffix(kind, "ssignmentScheduleRequests") {
					want = tc.create
				}
				if left <= 0 || left > want || left < want-5*time.Second {
					t.Errorf("%s: %v left of its try, want about %v", kind, left, want)
				}
			}
		})
	}
}

// SharedClock: Azure runs on the client's own clock (the demo): the Date headers are not
// read, so even a fake whose headers say otherwise leaves the offset at zero.
func TestSharedClockLearnsNoOffset(t *testing.T) {
	for _, shared := range []bool{false, true} {
		_, c, _ := startSkewedFake(t, 10*time.Minute, func(o *pim.ClientOptions) { o.SharedClock = shared })
		if _, err := c.Overview(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := c.ClockOffset()
		if shared && got != 0 {
			t.Fatalf("SharedClock: offset %v, want 0", got)
		}
		if !shared && got > -9*time.Minute {
			t.Fatalf("without SharedClock the 10-minute skew was not learned (offset %v): the test proves nothing", got)
		}
	}
}
