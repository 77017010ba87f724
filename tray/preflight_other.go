//go:build !((linux || freebsd || openbsd || netbsd) && !android)

package tray

import (
	"context"
	"io"
	"log/slog"
	"time"
)

// preflight has nothing to check where the tray is drawn by the OS itself.
func preflight(context.Context, *slog.Logger, io.Writer) error { return nil }

// seedBeforeRun does nothing here: Windows and macOS take the icon once the tray runs
// (onReady), and a title on macOS would be drawn as text beside the icon.
func seedBeforeRun([]byte, string) {}

// whenPublished does nothing here: the OS tray takes every icon change once the tray runs.
func whenPublished(context.Context, time.Duration, func()) {}
