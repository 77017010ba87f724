//go:build !(linux || freebsd || netbsd || openbsd || dragonfly || windows)

package notify

func newPlatform(opts Options) (Notifier, error) { return newTextNotifier(opts), nil }
