package tray

import (
	"io"
	"log"
	"log/slog"
	"strings"
)

// quietSystrayLog sends what fyne.io/systray prints with the standard log package ("systray
// error: failed to register: ...") to the tray's log instead of the user's terminal: the tray
// has said what is missing in its own words (preflight). It returns the function that puts the
// standard logger back.
func quietSystrayLog(l *slog.Logger) (restore func()) {
	out, flags, prefix := log.Writer(), log.Flags(), log.Prefix()
	log.SetOutput(systrayLog{l})
	log.SetFlags(0)
	log.SetPrefix("")
	return func() {
		log.SetOutput(out)
		log.SetFlags(flags)
		log.SetPrefix(prefix)
	}
}

// systrayLog is an io.Writer for the standard logger: each line becomes a log record.
type systrayLog struct{ l *slog.Logger }

func (s systrayLog) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	if line == "" {
		return len(p), nil
	}
	if strings.Contains(line, "failed to register") {
		// No tray host yet: said once by preflight; systray registers when one appears.
		s.l.Debug("systray", "msg", line)
	} else {
		s.l.Warn("systray", "msg", line)
	}
	return len(p), nil
}

var _ io.Writer = systrayLog{}
