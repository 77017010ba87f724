package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/cli"
	"github.com/pimtray/pimtray/internal/fakeazure"
)

// Issue 12 item 6: what would fail at Azure or mislead an approver is refused before anything
// is sent (exit 2, one sentence) or cleaned: a duration under Azure's 5-minute minimum, a
// justification or ticket too long; a reason with line breaks, carriage returns and terminal
// escape sequences is sent as one clean line. The fake Azure enforces the same limits.
func TestActivateInputRefusedOrCleaned(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 501)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string // regexp
		sent   int
	}{
		{"one second", []string{"activate", "Owner", "--scope", "IT", "--for", "1s", "--reason", "x"},
			2, `^pimtray: 1s is shorter than Azure allows: an activation lasts at least 5m\.\n$`, 0},
		{"a justification of 501 characters", []string{"activate", "Global Administrator", "--reason", long},
			2, `^pimtray: The justification is 501 characters long; at most 500 are sent to Azure\.\n$`, 0},
		{"a 10 kB ticket", []string{"activate", "Contributor", "--scope", "MySubscription", "--reason", "x", "--ticket", strings.Repeat("T", 10240)},
			2, `^pimtray: The ticket number is 10240 characters long; at most 100 are sent to Azure\.\n$`, 0},
		{"five minutes is fine", []string{"activate", "Owner", "--scope", "IT", "--for", "5m", "--reason", "x"}, 0, `^$`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			r := w.run(tt.args...)
			if r.code != tt.code || !regexp.MustCompile(tt.stderr).MatchString(r.stderr) {
				t.Errorf("exit %d, stderr %q; want %d, %q", r.code, r.stderr, tt.code, tt.stderr)
			}
			if n := len(w.activations()); n != tt.sent {
				t.Errorf("%d activation requests, want %d", n, tt.sent)
			}
		})
	}

	w := newWorld(t)
	reason := "deploy\r\nrelease 7\t\x1b[31mAPPROVED BY CISO\x1b[0m\x1b]0;title\x07 \u202edone\x00"
	r := w.run("activate", "Contributor", "--scope", "MySubscription", "--reason", reason, "--ticket", " CHG-1\n")
	if r.code != 0 {
		t.Fatalf("activate with a messy reason: %+v", r)
	}
	acts := w.activations()
	if len(acts) != 1 {
		t.Fatalf("%d activation requests", len(acts))
	}
	var body struct {
		Properties struct {
			Justification string `json:"justification"`
			TicketInfo    struct {
				TicketNumber string `json:"ticketNumber"`
			} `json:"ticketInfo"`
		} `json:"properties"`
	}
	if err := json.Unmarshal([]byte(acts[0].Body), &body); err != nil {
		t.Fatalf("request body: %v\n%s", err, acts[0].Body)
	}
	if got := body.Properties.Justification; got != "deploy release 7 APPROVED BY CISO done" {
		t.Errorf("justification sent: %q", got)
	}
	if got := body.Properties.TicketInfo.TicketNumber; got != "CHG-1" {
		t.Errorf("ticket sent: %q", got)
	}
}

// Issue 12 item 5: an activation Azure is slow to answer says so on stderr after a while,
// rather than 30–45 seconds of silence. (The fake answers after a second; the notice is set
// to come after a millisecond, so the test does not depend on the machine's speed.)
func TestSlowActivationSaysItIsStillWaiting(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.fake.SetPlaneLatency("azure", time.Second)
	env := w.env()
	env.WaitNotice = time.Millisecond
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), []string{"activate", "Owner", "--scope", "IT", "--reason", "x"}, &out, &errb, env)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	if got := errb.String(); got != "pimtray: still waiting for Azure to answer for Owner · IT…\n" {
		t.Errorf("stderr %q", got)
	}
	// A quick answer says nothing of the kind.
	w.fake.SetPlaneLatency("azure", 0)
	env.WaitNotice = time.Hour
	errb.Reset()
	if code := cli.Main(context.Background(), []string{"activate", "Contributor", "--scope", "rg-web", "--reason", "x"}, &out, &errb, env); code != 0 || errb.Len() != 0 {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

// Issue 12 item 5: a tenant configured without a name is named by Azure's own display name
// once signed in ("Signed in to Contoso", not "Signed in to organizations" or a GUID), and
// the next commands still know it.
func TestSignInNamesTheTenantByItsDisplayName(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.writeConfig(`{"tenants": [{"id": "` + fakeazure.DemoTenantID + `"}]}`)
	r := w.run("signin")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Signed in to "+fakeazure.DemoTenantName+" as ") {
		t.Fatalf("signin: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if st := w.run("status"); !strings.HasPrefix(st.stdout, "Signed in to "+fakeazure.DemoTenantName+" ("+fakeazure.DemoTenantID+") as ") {
		t.Errorf("status after the sign-in:\n%s%s", st.stdout, st.stderr)
	}
	n := 0
	for _, q := range w.fake.Requests() {
		if strings.HasSuffix(q.Path, "/organization") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d /organization requests, want 1 (at the sign-in only)", n)
	}
}
