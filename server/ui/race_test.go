//go:build race

package ui_test

// raceEnabled skips the browser test under the race detector: CI runs it
// once without, and a browser driving a race-instrumented server only
// doubles the slowest test of the package.
const raceEnabled = true
