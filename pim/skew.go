package pim

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Azure's clock and the user's.
//
// Azure decides by its own clock: an activation whose startDateTime is ahead of it is
// scheduled for later, and the times it lists are its own. The user's clock may be minutes
// off (no time sync, a VM resumed from a snapshot). So the client learns the offset between
// the two from the Date header of every answer Azure gives, and converts at the wire: times
// it sends are put into Azure's clock (local + offset), times it returns into the local one
// (Azure's − offset). Everything above the client, the engine's countdowns included, then
// reckons with the local clock alone, as if both clocks agreed.
const (
	// clockTolerance is the error the Date header leaves (whole seconds, stamped before the
	// answer travelled) and more: an offset within it of the one in use changes nothing, so
	// the times the client returns stay the same from one refresh to the next (reminders are
	// keyed by an activation's end), and a clock in sync keeps an offset of exactly zero.
	clockTolerance = 5 * time.Second
	// maxClockOffset: an offset beyond this is not a clock set wrong but a Date header to
	// distrust (a proxy's cached answer, a test server on another clock): it is ignored.
	maxClockOffset = 24 * time.Hour
)

// azureClock is the offset of Azure's clock from the local one (Azure − local), learned from
// the Date headers of Azure's answers: the last one that moved by more than clockTolerance.
// A sample is the Date minus the local time the answer arrived, floored to the second, so it
// errs on the early side (by the header's truncation and the answer's travel): a start sent
// "now" reaches Azure in its past, never its future.
type azureClock struct {
	now    func() time.Time
	log    *slog.Logger
	shared bool // ClientOptions.SharedClock: the offset stays zero

	mu     sync.Mutex
	offset time.Duration
}

// policy records the offset from each try's answer; it sits last among the per-try
// policies, next to the wire.
func (k *azureClock) policy(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	if err == nil && resp != nil && !k.shared {
		if date, perr := http.ParseTime(resp.Header.Get("Date")); perr == nil {
			k.observe(date, k.now())
		}
	}
	return resp, err
}

// observe takes one sample: Azure said date when the local clock read local.
func (k *azureClock) observe(date, local time.Time) {
	sample := floorSecond(date.Sub(local))
	if sample > maxClockOffset || sample < -maxClockOffset {
		return
	}
	k.mu.Lock()
	old := k.offset
	moved := sample-old > clockTolerance || old-sample > clockTolerance
	if moved {
		k.offset = sample
	}
	k.mu.Unlock()
	if moved {
		k.log.Info("Azure's clock differs from this computer's; times are converted", "azureMinusLocal", sample, "was", old)
	}
}

// Offset is Azure's clock minus the local one, as far as known (zero until an answer says otherwise).
func (k *azureClock) Offset() time.Duration {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.offset
}

// toAzure is a local time on Azure's clock; the zero time stays zero.
func (k *azureClock) toAzure(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Add(k.Offset())
}

// toLocal is a time of Azure's on the local clock; the zero time stays zero.
func (k *azureClock) toLocal(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Add(-k.Offset())
}

// localActivation converts every time of an activation Azure returned to the local clock.
func (k *azureClock) localActivation(a Activation) Activation {
	a.StartsAt, a.ExpiresAt = k.toLocal(a.StartsAt), k.toLocal(a.ExpiresAt)
	a.Role = k.localRole(a.Role)
	return a
}

// localRole converts the end of an eligibility to the local clock.
func (k *azureClock) localRole(r Role) Role {
	r.EligibleUntil = k.toLocal(r.EligibleUntil)
	return r
}

// floorSecond rounds d down (towards the past) to a whole second.
func floorSecond(d time.Duration) time.Duration {
	f := d.Truncate(time.Second)
	if f > d {
		f -= time.Second
	}
	return f
}

// ClockOffset is how far Azure's clock is ahead of the local one (negative: behind), as learned
// from the Date headers of its answers; zero until then, and for clocks within a few seconds.
// Every time the client sends or returns is already converted by it.
func (c *Client) ClockOffset() time.Duration { return c.clock.Offset() }
