// Package interop holds the interoperability suite of azmsi: unmodified
// Azure SDK for Go clients, the Python SDKs and the Azure CLI against the
// azmsi emulator. It is its own module so that the SDK clients it needs
// (azidentity, armsubscriptions, armresources) stay out of azmsi's go.mod.
//
// The Go tests here run in-process with no privileges; run.sh runs them
// together with the scenarios that need a network namespace. See README.md.
package interop
