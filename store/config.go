// Package store owns what pimtray keeps: the configuration file, the last known state,
// and the sign-in cache sealed with a key held in the OS keyring. Files are written
// atomically, 0600 in 0700 folders; nothing secret is ever written in plaintext.
package store

import "time"

// Config is the user's configuration file (JSON). Every field is optional.
type Config struct {
	// Tenants the user signs in to. Empty: one entry for "organizations" is assumed until the
	// first sign-in tells the real tenant id.
	Tenants []TenantConfig `json:"tenants,omitempty"`
	// Favourites are the roles shown at the top of the tray menu, in this order.
	Favourites []Favourite `json:"favourites,omitempty"`

	// DefaultDuration for an activation when a favourite or the command line names none ("8h").
	DefaultDuration Duration `json:"defaultDuration,omitzero"`
	// Reminders: how long before an activation ends to raise a notification (default 15m and 5m).
	Reminders []Duration `json:"reminders,omitempty"`
	// RefreshInterval between background refreshes (default 5m, jittered).
	RefreshInterval Duration `json:"refreshInterval,omitzero"`
	// LogLevel: "info" (default) or "debug".
	LogLevel string `json:"logLevel,omitempty"`
}

// TenantConfig is one tenant (directory) the user works in.
type TenantConfig struct {
	ID   string `json:"id"`             // tenant id (GUID) or a verified domain
	Name string `json:"name,omitempty"` // a label for people
	// Cloud: "AzurePublic" (default), "AzureGovernment", "AzureChina".
	Cloud string `json:"cloud,omitempty"`
	// ClientID of the public-client app registration used for both planes; GraphClientID and
	// ARMClientID override it per plane.
	ClientID      string `json:"clientId,omitempty"`
	GraphClientID string `json:"graphClientId,omitempty"`
	ARMClientID   string `json:"armClientId,omitempty"`
	// UseAzureCLI takes ARM tokens from an existing Azure CLI sign-in (az login) instead.
	UseAzureCLI bool `json:"useAzureCli,omitempty"`
	// Planes to use (default all three: "entra", "azure", "group").
	Planes []string `json:"planes,omitempty"`
}

// Favourite is a role the user activates often, with everything one click needs.
type Favourite struct {
	// Key is pim.Role.Key(): "plane|tenant|roleId|scope" (lower case).
	Key       string `json:"key"`
	Tenant    string `json:"tenant,omitempty"`
	Plane     string `json:"plane"`
	Role      string `json:"role"` // display name, for people reading the file
	RoleID    string `json:"roleId,omitempty"`
	Scope     string `json:"scope,omitempty"`
	ScopeName string `json:"scopeName,omitempty"`

	Duration      Duration `json:"duration,omitzero"` // 0: the default, capped at the policy maximum
	Justification string   `json:"justification,omitempty"`
	TicketNumber  string   `json:"ticketNumber,omitempty"`
	TicketSystem  string   `json:"ticketSystem,omitempty"`
	// KeepActiveUntil "HH:MM" (local time): re-activate automatically until then each day. Off when empty.
	KeepActiveUntil string `json:"keepActiveUntil,omitempty"`
}

// Duration is a time.Duration written as Go duration text in JSON ("8h", "15m").
type Duration time.Duration

// D is the duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
