package h5

// Sample writes the test file of TestRoundTrip for the external tests.
var Sample = sample
