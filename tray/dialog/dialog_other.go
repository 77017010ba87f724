//go:build !unix && !windows

package dialog

import (
	"context"
	"fmt"
)

func ask(context.Context, Question) (string, bool, error) {
	return "", false, fmt.Errorf("%w on this system", ErrUnavailable)
}
