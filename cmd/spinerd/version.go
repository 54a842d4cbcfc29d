package main

import (
	"fmt"
	"io"

	"github.com/spinerd/spinerd/internal/version"
)

func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("version", stdout)
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	fmt.Fprintf(stdout, "spinerd %s\n", version.String())
	return exitOK
}
