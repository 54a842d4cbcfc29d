//go:build race

package gillespie

// raceDetector: the tests run under the race detector (go test -race),
// about ten times slower; the statistical comparisons that only check
// accuracy, not concurrency, run in the plain go test.
const raceDetector = true
