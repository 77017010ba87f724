//go:build !(linux || freebsd || netbsd || openbsd || dragonfly)

package store

// keyringReachable: the keyring here is the OS's own (Windows Credential Manager, the macOS
// Keychain), no D-Bus involved.
func keyringReachable() error { return nil }
