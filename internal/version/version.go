// Package version reports the spinerd version and build.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Base is the release this source tree is part of.
const Base = "0.1.0-dev"

// String returns the version with the VCS revision when the binary was
// built from a git checkout, e.g. "0.1.0-dev (abc1234, go1.26.8)".
func String() string {
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if len(s.Value) > 12 {
					rev = s.Value[:12]
				} else {
					rev = s.Value
				}
			case "vcs.modified":
				if s.Value == "true" && rev != "" {
					rev += "+dirty"
				}
			}
		}
	}
	if rev == "" {
		return fmt.Sprintf("%s (%s)", Base, runtime.Version())
	}
	return fmt.Sprintf("%s (%s, %s)", Base, rev, runtime.Version())
}
