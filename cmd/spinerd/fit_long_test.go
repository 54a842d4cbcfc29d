//go:build long

package main

import "testing"

// TestFitAcceptance: `spinerd fit --dataset VC-1 --population 16
// --generations 2` (32 evaluations; about a minute on two cores).
func TestFitAcceptance(t *testing.T) { testFit(t, "16") }
