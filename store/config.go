// Package store owns what pimtray keeps: the configuration file, the last known state,
// and the sign-in cache sealed with a key held in the OS keyring. Files are written
// atomically, 0600 in 0700 folders; nothing secret is ever written in plaintext.
package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/pimtray/pimtray/pim"
)

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
	// An empty list ("reminders": []) turns reminders off; a missing one means the default.
	Reminders []Duration `json:"reminders,omitzero"`
	// RefreshInterval between background refreshes (default 5m, jittered).
	RefreshInterval Duration `json:"refreshInterval,omitzero"`
	// LogLevel: "info" (default) or "debug".
	LogLevel string `json:"logLevel,omitempty"`
	// Clouds are private or custom clouds by name, for TenantConfig.Cloud; the well-known
	// clouds (AzurePublic, AzureGovernment, AzureChina) need no entry.
	Clouds map[string]pim.Cloud `json:"clouds,omitempty"`
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
	// Schedule is "start my day": an activation each of its days at its time, sent ahead
	// (from the evening before). nil: none.
	Schedule *Schedule `json:"schedule,omitempty"`
}

// Schedule is a favourite's daily activation.
type Schedule struct {
	// Days are the days it runs: "Mon-Fri", "Mon,Wed,Fri", "daily" (English names, 3 letters or whole).
	Days string `json:"days"`
	// At is the start, "HH:MM" local time.
	At string `json:"at"`
	// Off keeps the schedule but sends nothing (the menu's on/off).
	Off bool `json:"off,omitempty"`
	// PausedUntil "YYYY-MM-DD": nothing is sent for that day or any before it (a holiday).
	PausedUntil string `json:"pausedUntil,omitempty"`
}

// Duration is a time.Duration written as Go duration text in JSON ("8h", "15m", "1h30m").
type Duration time.Duration

// D is the duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String is the short duration text: "8h", "15m", "1h30m", "90s".
func (d Duration) String() string {
	t := time.Duration(d)
	if t == 0 {
		return "0s"
	}
	if t%time.Second != 0 {
		return t.String() // sub-second values keep Go's own spelling
	}
	var b strings.Builder
	if t < 0 {
		b.WriteByte('-')
		t = -t
	}
	h, m, s := t/time.Hour, (t%time.Hour)/time.Minute, (t%time.Minute)/time.Second
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if s > 0 {
		fmt.Fprintf(&b, "%ds", s)
	}
	return b.String()
}

// MarshalJSON writes the duration as text: "8h".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads duration text ("8h", "90m", "1h30m"); numbers are refused because
// their unit would be a guess.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%s is not a duration (write it as text with a unit, like \"8h\" or \"15m\")", b)
	}
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%q is not a duration (try %q)", s, suggestDuration(s, "h"))
	}
	*d = Duration(v)
	return nil
}

// Defaults for what the configuration leaves out.
const (
	DefaultDuration        = 8 * time.Hour
	DefaultRefreshInterval = 5 * time.Minute
)

// DefaultReminders are the default reminder thresholds: 15 and 5 minutes before the end.
func DefaultReminders() []Duration {
	return []Duration{Duration(15 * time.Minute), Duration(5 * time.Minute)}
}

// DefaultConfig is the configuration of a first start: no tenants, no favourites, defaults.
func DefaultConfig() *Config {
	c := &Config{}
	c.SetDefaults()
	return c
}

// SetDefaults fills what the configuration leaves out: DefaultDuration 8h, Reminders 15m and
// 5m (only when absent; an empty list stays off), RefreshInterval 5m, LogLevel "info".
func (c *Config) SetDefaults() {
	if c.DefaultDuration == 0 {
		c.DefaultDuration = Duration(DefaultDuration)
	}
	if c.Reminders == nil {
		c.Reminders = DefaultReminders()
	}
	if c.RefreshInterval == 0 {
		c.RefreshInterval = Duration(DefaultRefreshInterval)
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
}

// CloudFor resolves a tenant's cloud: a well-known name, or one of Clouds.
func (c *Config) CloudFor(t TenantConfig) (pim.Cloud, error) {
	if cl, ok := c.Clouds[t.Cloud]; ok && t.Cloud != "" {
		if cl.Name == "" {
			cl.Name = t.Cloud
		}
		return cl, nil
	}
	if cl, ok := pim.CloudByName(t.Cloud); ok {
		return cl, nil
	}
	return pim.Cloud{}, fmt.Errorf("unknown cloud %q for tenant %s (use AzurePublic, AzureGovernment, AzureChina or a name under \"clouds\")", t.Cloud, t.ID)
}
