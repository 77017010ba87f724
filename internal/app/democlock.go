package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/pimtray/pimtray/internal/clock"
)

// demoClockFile keeps the demo's clock (the real instant its scale began, what it read then,
// its factor) in the demo's state folder, so the tray and every command beside it read the
// same demo time, and a restart carries on from it.
const demoClockFile = "demo-clock.json"

type savedDemoClock struct {
	Start  time.Time `json:"start"`
	At     time.Time `json:"at"`
	Factor float64   `json:"factor"`
}

// demoClock is the demo's clock. The tray sets it: with --demo-speed N it runs N times
// faster (carrying on from the kept one, re-based when the speed changed); without, a
// kept faster clock carries on at the normal speed from where it is (no jump back in demo
// time). A command reads the kept one and never writes: it agrees with the tray.
func demoClock(stateDir string, speed float64, tray bool) (clock.Clock, error) {
	path := filepath.Join(stateDir, demoClockFile)
	saved, err := readDemoClock(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("the demo's clock %s is unreadable (delete it to start the demo's time anew): %w", path, err)
	}
	have := err == nil
	cur := clock.Scaled{Start: saved.Start, At: saved.At, Factor: saved.Factor}
	if !tray {
		if have {
			return cur, nil
		}
		return clock.Real{}, nil
	}
	now := time.Now().Round(0)
	switch {
	case speed <= 0 && !have:
		return clock.Real{}, nil
	case speed <= 0:
		speed = 1
	case have && saved.Factor == speed:
		return cur, nil
	}
	next := clock.Scaled{Start: now, At: now, Factor: speed}
	if have {
		next.At = cur.Now()
	}
	if err := writeDemoClock(path, savedDemoClock{Start: next.Start, At: next.At, Factor: next.Factor}); err != nil {
		return nil, fmt.Errorf("keep the demo's clock: %w", err)
	}
	return next, nil
}

func readDemoClock(path string) (savedDemoClock, error) {
	f, err := os.Open(path)
	if err != nil {
		return savedDemoClock{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return savedDemoClock{}, err
	}
	var c savedDemoClock
	if err := json.Unmarshal(data, &c); err != nil {
		return savedDemoClock{}, err
	}
	if c.Start.IsZero() || c.Factor <= 0 || c.Factor > 1e6 {
		return savedDemoClock{}, errors.New("not a demo clock")
	}
	return c, nil
}

func writeDemoClock(path string, c savedDemoClock) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".demo-clock-*.tmp")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
