package store

import "github.com/pimtray/pimtray/internal/testkit/keyringtest"

// The tests' keyring lives in memory (internal/testkit/keyringtest), not in the shipped package.
type MemoryKeyringBackend = keyringtest.Memory

func NewMemoryKeyring() *Keyring { return NewKeyringWith(&keyringtest.Memory{}, 0) }
