// Package fileerr words file-system errors for messages that name the
// file themselves ("cannot write out.h5: permission denied"), so that
// the path is not said twice.
package fileerr

import (
	"errors"
	"os"
)

// Cause is err without the *os.PathError or *os.LinkError around it (the
// operation and the path), or err itself when it has neither.
func Cause(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
