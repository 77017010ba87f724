package engine

import (
	"time"

	"github.com/pimtray/pimtray/pim"
)

// ItemState is what a role looks like to the user right now.
type ItemState string

const (
	StateEligible     ItemState = "eligible"     // can be activated
	StateActivating   ItemState = "activating"   // a request is in flight
	StateActive       ItemState = "active"       // active until ExpiresAt
	StatePending      ItemState = "pending"      // waiting for approval
	StateScheduled    ItemState = "scheduled"    // granted for a later start (StartsAt): Azure begins it then
	StateDeactivating ItemState = "deactivating" // a deactivation is in flight
	StateNeedsSignIn  ItemState = "needs-sign-in"
	StateFailed       ItemState = "failed"  // the last action failed: Item.Problem says why
	StateUnknown      ItemState = "unknown" // a favourite not (yet) found among the eligible roles
)

// IconState is the tray icon's state, most urgent wins: attention > expiring > pending > active > idle.
type IconState string

const (
	IconIdle      IconState = "idle"      // nothing active
	IconActive    IconState = "active"    // something active
	IconExpiring  IconState = "expiring"  // something ends within the first reminder threshold
	IconPending   IconState = "pending"   // a request waits for approval
	IconAttention IconState = "attention" // sign-in needed or an error
)

// Item is one role as the tray and the CLI show it.
type Item struct {
	Key       string    `json:"key"`
	Role      pim.Role  `json:"role"`
	State     ItemState `json:"state"`
	Favourite bool      `json:"favourite"`
	StartsAt  time.Time `json:"startsAt,omitzero"`
	ExpiresAt time.Time `json:"expiresAt,omitzero"` // active: when it ends (zero: permanent)
	// Duration is what one click asks for (favourite's, else default, capped at the policy
	// maximum); 0 for a role not a favourite whose policy has not been read yet.
	Duration time.Duration `json:"duration"`
	Policy   *pim.Policy   `json:"policy,omitempty"`
	// PolicyReadAt is when Policy was read from Azure (policies are cached: a week for roles
	// that are not favourites, 12 hours for favourites).
	PolicyReadAt time.Time `json:"policyReadAt,omitzero"`
	Problem      string    `json:"problem,omitempty"` // one human sentence, for StateFailed and friends
	// LastKnown: State (active, pending, scheduled) and its times are what Azure said when the
	// role's plane was last read; the plane refuses the sign-in now, so they are not known any
	// more: the label says so and does not count down.
	LastKnown bool `json:"lastKnown,omitempty"`
	// TenantName names the tenant in labels when the user works in more than one ("Fabrikam").
	TenantName string `json:"tenantName,omitempty"`
	// RequestID is the open request's id while pending or scheduled (to withdraw it).
	RequestID string `json:"requestId,omitempty"`
	// Waiting: an activation in flight that Azure has not answered for SlowAnswer (its
	// retries and time-outs can take 30–45 s): the label says it still waits.
	Waiting bool `json:"waiting,omitempty"`
	// LastUsed is when the role was last activated from this machine (within RecentlyUsedFor),
	// zero when not: the menu puts recently used roles on top.
	LastUsed time.Time `json:"lastUsed,omitzero"`
	// KeepActiveUntil is the favourite's keep-alive time ("18:00"), empty when off.
	KeepActiveUntil string `json:"keepActiveUntil,omitempty"`
	// SavedDuration, SavedJustification and SavedTicket are the favourite's own settings
	// (0 and "": none saved; Duration then follows the default).
	SavedDuration      time.Duration `json:"savedDuration,omitempty"`
	SavedJustification string        `json:"savedJustification,omitempty"`
	SavedTicket        string        `json:"savedTicket,omitempty"`
	// Daily is the favourite's "start my day" ("Mon-Fri 08:30"), empty when it has none;
	// DailyOn says whether it is on.
	Daily   string `json:"daily,omitempty"`
	DailyOn bool   `json:"dailyOn,omitempty"`
}

// Account is one tenant's sign-in as the UI shows it.
type Account struct {
	TenantID   string `json:"tenantId"`
	TenantName string `json:"tenantName,omitempty"`
	User       string `json:"user,omitempty"` // UPN; empty when not signed in
	SignedIn   bool   `json:"signedIn"`
	// Storage is where the sign-in is kept: "keyring" or "memory" (keyring unavailable).
	Storage string `json:"storage,omitempty"`
}

// PlaneProblem is a plane that could not be read, shown as one menu line.
type PlaneProblem struct {
	TenantID string    `json:"tenantId"`
	Plane    pim.Plane `json:"plane"`
	Message  string    `json:"message"` // "Groups: admin consent needed — see README"
}

// Snapshot is everything the UI renders, immutable once handed out.
type Snapshot struct {
	Demo       bool           `json:"demo"`
	Now        time.Time      `json:"now"`
	Accounts   []Account      `json:"accounts"`
	Favourites []Item         `json:"favourites"`
	All        []Item         `json:"all"` // every eligible role, sorted by plane, scope, role
	Problems   []PlaneProblem `json:"problems,omitempty"`
	// ConfigProblem is one line about the configuration: a change not saved (kept and tried
	// again), or a hand edit that could not be read. Empty when all is well.
	ConfigProblem string    `json:"configProblem,omitempty"`
	Refreshing    bool      `json:"refreshing"`
	LastRefresh   time.Time `json:"lastRefresh,omitzero"`
	Offline       bool      `json:"offline"`
	Icon          IconState `json:"icon"`
	Tooltip       string    `json:"tooltip"`
	// Header is the menu's first line (Header(s)): account and tenant, "Sign in…", DEMO.
	Header string `json:"header"`
	// Approvals are the requests by others waiting for the user's decision, oldest first;
	// ApprovalPlanes the planes where they cannot be listed (said once, asked again after the
	// next sign-in).
	Approvals      []Approval      `json:"approvals,omitempty"`
	ApprovalPlanes []ApprovalPlane `json:"approvalPlanes,omitempty"`
	// Recent is "Recent activity": the user's latest requests, as last read (LoadRecentActivity).
	Recent RecentActivity `json:"recent"`
	// Settings are the global choices (default duration, reminders).
	Settings Settings `json:"settings"`
}

// NoticeKind sorts the moments that deserve a desktop notification.
type NoticeKind string

const (
	NoticeReminder     NoticeKind = "reminder"       // ends in N minutes
	NoticeEnded        NoticeKind = "ended"          // has ended
	NoticeReactivated  NoticeKind = "reactivated"    // re-activated: new end time
	NoticeApproved     NoticeKind = "approved"       // pending request approved
	NoticeDenied       NoticeKind = "denied"         // pending request denied
	NoticeFailed       NoticeKind = "failed"         // an activation failed
	NoticeSignInNeeded NoticeKind = "sign-in-needed" // a sign-in is needed to act
	NoticePending      NoticeKind = "pending"        // request sent, waits for approval
)

// Notice is one notification the core wants shown. The notify package renders it; an action
// the user picks comes back to the core as Engine.NoticeAction(notice.ID, action).
type Notice struct {
	ID      string     `json:"id"` // unique per notice, e.g. key + threshold + end time
	Kind    NoticeKind `json:"kind"`
	Key     string     `json:"key,omitempty"` // the role's key, when about one role
	Title   string     `json:"title"`
	Body    string     `json:"body"`
	Actions []string   `json:"actions,omitempty"` // "reactivate", "dismiss"
}

// Notice actions.
const (
	ActionReactivate = "reactivate"
	ActionDismiss    = "dismiss"
	ActionOpen       = "default" // the notification body was clicked
)
