//go:build !unix && !windows

package dialog

import (
	"context"
	"fmt"
)

func ask(context.Context, Question) (string, bool, error) {
	return "", false, fmt.Errorf("%w on this system", ErrUnavailable)
}

func available() error { return fmt.Errorf("%w on this system", ErrUnavailable) }

func askFields(context.Context, string, string, []Field) ([]string, bool, error) {
	return nil, false, available()
}

func choose(context.Context, List) (string, bool, error) { return "", false, available() }

func confirm(context.Context, Confirmation) (bool, error) { return false, available() }
