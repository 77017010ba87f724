//go:build linux || freebsd || netbsd || openbsd || dragonfly

package notify

func newPlatform(opts Options) (Notifier, error) { return newDBus(opts), nil }
