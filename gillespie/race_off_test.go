//go:build !race

package gillespie

// raceDetector: see race_on_test.go.
const raceDetector = false
