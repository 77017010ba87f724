package keyringtest

import (
	"sync"

	gokeyring "github.com/zalando/go-keyring"
)

// Memory keeps secrets in a map: a keyring backend for tests (store.NewKeyringWith(&Memory{}, 0)).
// The zero value is ready; a missing secret is go-keyring's ErrNotFound, as from the real one.
type Memory struct {
	mu sync.Mutex
	m  map[[2]string]string
}

// Set stores a secret.
func (m *Memory) Set(service, user, secret string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[[2]string]string{}
	}
	m.m[[2]string{service, user}] = secret
	return nil
}

// Get reads a secret.
func (m *Memory) Get(service, user string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[[2]string{service, user}]
	if !ok {
		return "", gokeyring.ErrNotFound
	}
	return v, nil
}

// Delete removes a secret.
func (m *Memory) Delete(service, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.m[[2]string{service, user}]; !ok {
		return gokeyring.ErrNotFound
	}
	delete(m.m, [2]string{service, user})
	return nil
}

// Len is how many secrets it holds.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.m)
}
