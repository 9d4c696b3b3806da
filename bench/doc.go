// Package bench measures azmsi against the Azure SDK for Go (azidentity,
// armsubscriptions, armresources) on the same in-process emulator, in the
// same run. It is a module of its own so that the azmsi module never depends
// on the Azure SDK. See ../BENCHMARKS.md and run.sh.
//
// Nothing here may reach 169.254.169.254 or any non-loopback address:
// azidentity has no IMDS endpoint override, so its requests go through
// LoopbackTransport, which rewrites the IMDS host to the emulator before
// dialing and whose dialer refuses every non-loopback address.
package bench
