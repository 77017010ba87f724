package dialog

import (
	"context"
	"errors"
	"strconv"
	"strings"
)

// List is a choice among rows: the desktop's list dialog, which lets the user search
// (zenity's list filters as one types), pick one row and press OK.
type List struct {
	Title   string   // the window title; default "pimtray"
	Prompt  string   // one sentence above the list
	Columns []string // column headings; every row has one cell per column
	Rows    [][]string
	OK      string // the OK button's label; default "OK"
}

// Confirmation is a yes/no question: OK does what it names, Cancel does nothing.
type Confirmation struct {
	Title  string // default "pimtray"
	Prompt string
	OK     string // the button that goes ahead ("Sign out"); default "OK"
}

// errBadList is a List that can't be shown: no columns, or a row whose cells don't match them.
var errBadList = errors.New("dialog: every row needs one cell per column")

// Choose shows l and waits for a pick. index is the picked row's index in l.Rows; ok is
// false when the user cancelled, closed the dialog or pressed OK with nothing picked, and
// when ctx ended first (then err is ctx's error). err is non-nil when no list could be
// shown at all (errors.Is(err, ErrUnavailable) when there is no dialog tool).
func Choose(ctx context.Context, l List) (index int, ok bool, err error) {
	if l.Title == "" {
		l.Title = "pimtray"
	}
	if l.OK == "" {
		l.OK = "OK"
	}
	if len(l.Columns) == 0 {
		return 0, false, errBadList
	}
	for _, r := range l.Rows {
		if len(r) != len(l.Columns) {
			return 0, false, errBadList
		}
	}
	if len(l.Rows) == 0 {
		return 0, false, nil
	}
	out, ok, err := choose(ctx, l)
	if err != nil || !ok {
		return 0, false, err
	}
	return pickedRow(out, len(l.Rows))
}

// pickedRow reads the row number a dialog printed (the first line; zenity prints one per
// selected row, kdialog the chosen tag). Nothing picked is not ok; a number outside the
// rows is an error.
func pickedRow(out string, n int) (int, bool, error) {
	line, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	line, _, _ = strings.Cut(line, "|") // zenity's separator, should it print several
	line = strings.TrimSpace(line)
	if line == "" {
		return 0, false, nil
	}
	i, err := strconv.Atoi(line)
	if err != nil || i < 0 || i >= n {
		return 0, false, errors.New("dialog: the list dialog answered " + strconv.Quote(line) + ", not a row")
	}
	return i, true, nil
}

// Confirm asks c and reports whether the user pressed OK. It is false when the user
// cancelled or closed the dialog, or when ctx ended first (then err is ctx's error); err
// is non-nil when no dialog could be shown.
func Confirm(ctx context.Context, c Confirmation) (bool, error) {
	if c.Title == "" {
		c.Title = "pimtray"
	}
	if c.OK == "" {
		c.OK = "OK"
	}
	return confirm(ctx, c)
}
