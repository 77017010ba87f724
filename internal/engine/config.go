package engine

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/pimtray/pimtray/store"
)

// Saving the configuration. A change (a favourite ticked, answers remembered) shows at once
// and is written in the background as an edit of the file as it is then (store.EditConfig):
// hand edits made while pimtray runs are kept, never written over. A save that fails is
// shown (Snapshot.ConfigProblem, one notice per failure streak), kept in memory and tried
// again with the next change or after a back-off.
const (
	saveRetryBase = 30 * time.Second
	saveRetryMax  = 10 * time.Minute
)

// configEdit is one change to the configuration, written so it can be applied again to the
// file as it is on disk (it says what it wants, not what the result was).
type configEdit func(*store.Config)

// editConfigLocked applies edit to the configuration now and has it saved.
func (e *Engine) editConfigLocked(edit configEdit) {
	edit(e.cfg)
	if e.opts.ConfigFile == "" && e.opts.SaveConfig == nil {
		return // changes live in memory only
	}
	e.cfgPending = append(e.cfgPending, edit)
	e.goBackground(e.saveConfig)
}

// saveConfig writes the pending edits. Saves run one at a time; each writes what is pending
// when it starts, so the last one leaves nothing unsaved.
func (e *Engine) saveConfig(context.Context) {
	e.cfgSaveMu.Lock()
	defer e.cfgSaveMu.Unlock()
	e.mu.Lock()
	edits := append([]configEdit(nil), e.cfgPending...)
	cp := cloneConfig(e.cfg)
	e.mu.Unlock()
	if len(edits) == 0 {
		return
	}
	var written *store.Config
	var err error
	if e.opts.ConfigFile != "" {
		written, err = store.EditConfig(e.opts.ConfigFile, func(c *store.Config) {
			for _, ed := range edits {
				ed(c)
			}
		})
	} else {
		err = e.opts.SaveConfig(cp)
	}
	e.mu.Lock()
	if err == nil {
		e.cfgPending = e.cfgPending[len(edits):]
		if written != nil {
			e.adoptConfigLocked(written)
			e.cfgStamp = stampOf(e.opts.ConfigFile)
		}
		e.saveProblem, e.saveFailures, e.saveRetryAt = "", 0, time.Time{}
		e.mu.Unlock()
		e.signal()
		return
	}
	e.saveFailures++
	e.saveProblem = "Settings not saved (" + strings.TrimSuffix(err.Error(), ".") + "); kept, trying again"
	e.saveRetryAt = e.now().Add(min(saveRetryBase<<min(e.saveFailures-1, 10), saveRetryMax))
	first := e.saveFailures == 1
	var n Notice
	if first {
		n = e.newNoticeLocked(NoticeFailed, "", "", "Settings not saved",
			strings.TrimSuffix(err.Error(), ".")+". pimtray keeps the change and tries again.", nil, time.Time{})
	}
	e.mu.Unlock()
	e.log.Error("saving the configuration failed", "err", err, "pending", len(edits))
	if first {
		e.notify(n)
	}
	e.signal()
}

// adoptConfigLocked makes c (the file's configuration) the engine's, with the edits not yet
// written applied on top.
func (e *Engine) adoptConfigLocked(c *store.Config) {
	cfg := cloneConfig(c)
	for _, ed := range e.cfgPending {
		ed(cfg)
	}
	e.cfg = cfg
}

// saveDueLocked starts a retry of a failed save when its time has come; it returns when the
// next one is due (zero: none).
func (e *Engine) saveDueLocked(now time.Time) time.Time {
	if e.saveRetryAt.IsZero() {
		return time.Time{}
	}
	if e.saveRetryAt.After(now) {
		return e.saveRetryAt
	}
	e.saveRetryAt = time.Time{}
	e.goBackground(e.saveConfig)
	return time.Time{}
}

// fileStamp tells whether a file changed: its modification time and size.
type fileStamp struct {
	mod  time.Time
	size int64
	ok   bool
}

func stampOf(path string) fileStamp {
	st, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{mod: st.ModTime(), size: st.Size(), ok: true}
}

// reloadConfig reads the configuration file again when it changed since it was last read or
// written (a hand edit), so a refresh shows what the user wrote. A file that cannot be used
// keeps the configuration as it was and says why (Snapshot.ConfigProblem).
func (e *Engine) reloadConfig() {
	path := e.opts.ConfigFile
	if path == "" {
		return
	}
	e.cfgSaveMu.Lock() // not while a save writes it
	defer e.cfgSaveMu.Unlock()
	stamp := stampOf(path)
	e.mu.Lock()
	same := stamp == e.cfgStamp
	e.mu.Unlock()
	if same {
		return
	}
	c, err := store.LoadConfig(path)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cfgStamp = stamp
	var ce *store.ConfigError
	switch {
	case errors.As(err, &ce):
		e.loadProblem = "Configuration not read again: " + strings.TrimSuffix(ce.Error(), ".")
		return
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		e.loadProblem = "Configuration not read again: " + err.Error()
		return
	}
	e.loadProblem = ""
	e.adoptConfigLocked(c)
	e.log.Info("configuration read again (changed on disk)", "favourites", len(c.Favourites))
}

// configProblemLocked is the menu's line about the configuration, or "".
func (e *Engine) configProblemLocked() string {
	if e.saveProblem != "" {
		return e.saveProblem
	}
	return e.loadProblem
}
