package auth

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
)

// sharedCache lets the MSAL clients of one Session (one per distinct client id) share one
// TokenCache without losing each other's writes. MSAL exports a client's whole cache after each
// token; two clients exporting in turn over one blob would each drop what the other just wrote
// (a rotated refresh token lost = signed out). So the blob holds one section per client id,
// and each export rewrites only its own section, reading the others fresh under a lock.
//
// Stored form: {"pimtray": 1, "clients": {"<client id>": <MSAL's own cache JSON>}}.
type sharedCache struct {
	under TokenCache
	log   *slog.Logger
	mu    sync.Mutex
}

type sharedBlob struct {
	Format  int                        `json:"pimtray"`
	Clients map[string]json.RawMessage `json:"clients"`
}

func (s *sharedCache) forClient(id string) cache.ExportReplace { return &clientCache{s: s, id: id} }

// load reads the stored blob (empty when nothing usable is stored).
func (s *sharedCache) load(ctx context.Context) (sharedBlob, error) {
	var got capture
	if err := s.under.Replace(ctx, &got, cache.ReplaceHints{}); err != nil {
		return sharedBlob{}, err
	}
	b := sharedBlob{Format: 1, Clients: map[string]json.RawMessage{}}
	if got.data == nil {
		return b, nil
	}
	var stored sharedBlob
	if err := json.Unmarshal(got.data, &stored); err != nil || stored.Format != 1 {
		s.log.Warn("stored sign-in cache has an unknown shape: signed out")
		return b, nil
	}
	for k, v := range stored.Clients {
		b.Clients[k] = v
	}
	return b, nil
}

type clientCache struct {
	s  *sharedCache
	id string
}

// Replace gives MSAL its client's section; without one, MSAL's cache is left as it is.
func (c *clientCache) Replace(ctx context.Context, u cache.Unmarshaler, _ cache.ReplaceHints) error {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	b, err := c.s.load(ctx)
	if err != nil {
		return err
	}
	section, ok := b.Clients[c.id]
	if !ok {
		return nil
	}
	if err := u.Unmarshal(section); err != nil {
		c.s.log.Warn("stored sign-in cache does not load: signed out", "client", c.id)
	}
	return nil
}

// Export stores MSAL's cache as its client's section. A persistence problem is the store's to
// log and swallow; only the context's error comes back.
func (c *clientCache) Export(ctx context.Context, m cache.Marshaler, _ cache.ExportHints) error {
	data, err := m.Marshal()
	if err != nil {
		c.s.log.Warn("sign-in cache does not serialize", "client", c.id)
		return nil
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	b, err := c.s.load(ctx)
	if err != nil {
		return err
	}
	b.Clients[c.id] = json.RawMessage(data)
	out, err := json.Marshal(b)
	if err != nil {
		c.s.log.Warn("sign-in cache does not serialize", "client", c.id)
		return nil
	}
	return c.s.under.Export(ctx, bytesMarshaler(out), cache.ExportHints{})
}

// dropAccessTokens removes access tokens from the stored cache so MSAL cannot hand them out
// again: the one whose secret is token (Azure refused it), or, with token "", every access
// token of every client (a sign-in the user asked for renews them all). Refresh tokens and
// accounts stay: the next silent request redeems the refresh token for a new access token.
// MSAL reads the stored cache (Replace) before every silent request, so it sees the change.
func (s *sharedCache) dropAccessTokens(ctx context.Context, token string) (dropped int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.load(ctx)
	if err != nil {
		return 0, err
	}
	for id, section := range b.Clients {
		var c map[string]json.RawMessage
		if json.Unmarshal(section, &c) != nil {
			continue
		}
		var ats map[string]struct {
			Secret string `json:"secret"`
		}
		if raw, ok := c["AccessToken"]; !ok || json.Unmarshal(raw, &ats) != nil {
			continue
		}
		var full map[string]json.RawMessage
		_ = json.Unmarshal(c["AccessToken"], &full)
		n := 0
		for k, at := range ats {
			if token == "" || at.Secret == token {
				delete(full, k)
				n++
			}
		}
		if n == 0 {
			continue
		}
		dropped += n
		if c["AccessToken"], err = json.Marshal(full); err != nil {
			return 0, err
		}
		if b.Clients[id], err = json.Marshal(c); err != nil {
			return 0, err
		}
	}
	if dropped == 0 {
		return 0, nil
	}
	out, err := json.Marshal(b)
	if err != nil {
		return 0, err
	}
	return dropped, s.under.Export(ctx, bytesMarshaler(out), cache.ExportHints{})
}

type capture struct{ data []byte }

func (c *capture) Unmarshal(b []byte) error {
	c.data = append([]byte(nil), b...)
	return nil
}

type bytesMarshaler []byte

func (b bytesMarshaler) Marshal() ([]byte, error) { return b, nil }

// memoryCache is the TokenCache of a Session given none: this run only.
type memoryCache struct {
	mu   sync.Mutex
	data []byte
}

func (m *memoryCache) Replace(_ context.Context, u cache.Unmarshaler, _ cache.ReplaceHints) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil {
		return nil
	}
	return u.Unmarshal(m.data)
}

func (m *memoryCache) Export(_ context.Context, mm cache.Marshaler, _ cache.ExportHints) error {
	data, err := mm.Marshal()
	if err != nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data = data
	return nil
}

func (m *memoryCache) Storage() string { return "memory" }
func (m *memoryCache) Warning() string { return "" }
func (m *memoryCache) Delete(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data = nil
	return nil
}
