// Package reliability holds the cross-package proofs of docs/reliability.md:
// the identity credential and the ARM client survive the emulator's injected
// faults (emulator.Options.Faults), the emulator keeps its invariants under
// concurrent load, and long-running use returns goroutines and memory.
//
// It has no API; everything is in its tests, which run the real client
// packages against an in-process emulator on loopback.
package reliability
