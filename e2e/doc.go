// Package e2e runs the built azmsi binary against `azmsi emulator` started
// as a separate process, the way a user does: the emulator writes its env
// file, the client processes get exactly that environment and nothing else.
// Everything listens and connects on 127.0.0.1. The package has tests only.
package e2e
