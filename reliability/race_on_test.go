//go:build race

package reliability

// raceEnabled: the race detector slows JSON-heavy tests about tenfold, so
// the largest ones do fewer rounds under -race (the plain run in .ci/run
// does the full count).
const raceEnabled = true
